"""Password verifiers: salted scrypt, self-describing, never the password."""

from desktop_app.core import passwords


def test_verifier_checks_the_right_password_only():
    verifier = passwords.hash_password("s3cret-words")
    assert verifier.startswith("scrypt$32768$8$1$")
    assert "s3cret" not in verifier
    assert passwords.verify_password("s3cret-words", verifier)
    assert not passwords.verify_password("s3cret-word", verifier)


def test_same_password_gets_a_different_salt_each_time():
    assert passwords.hash_password("same password") != passwords.hash_password("same password")


def test_malformed_or_missing_verifiers_never_match():
    for bad in (None, "", "plain", "scrypt$16384$8$1$@@@$@@@", "md5$1$2$3$4$5", "scrypt$99999999$8$1$AA==$AA=="):
        assert not passwords.verify_password("anything", bad)


def test_weaker_verifiers_are_flagged_for_upgrade():
    weak = passwords.hash_password("pw-upgrade", n=2**10)
    assert passwords.verify_password("pw-upgrade", weak)
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("pw-upgrade"))
