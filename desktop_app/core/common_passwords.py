"""The most common passwords of eight characters or more: the first ones any guessing attack tries."""

from __future__ import annotations

import re

# From the top of public password-leak frequency lists (only entries long enough to pass the
# length rule), plus seasonal and workplace patterns seen in clinics. Compared case-insensitively.
_COMMON = frozenset("""
password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword pass1234 password!
12345678 123456789 1234567890 0123456789 987654321 87654321 11111111 00000000 88888888 12341234
11223344 12121212 123123123 123321123 1234512345 112233445566 111111111 999999999 666666666 1q2w3e4r
1q2w3e4r5t 1qaz2wsx 1qazxsw2 zaq12wsx zaq1zaq1 qwertyui qwertyuiop qwerty123 qwerty12 qwer1234
1234qwer q1w2e3r4 qazwsxedc qweasdzxc 123qweasd asdfghjk asdfasdf asdf1234 abcd1234 abc12345
abcdefgh aa123456 a1b2c3d4 iloveyou iloveyou1 iloveyou2 sunshine sunshine1 princess princess1
football football1 baseball baseball1 basketball superman superman1 batman12 starwars whatever
trustno1 letmein1 letmein123 welcome1 welcome123 welcome! changeme changeme1 computer internet
michael1 jennifer jessica1 michelle charlie1 freedom1 mustang1 shadow12 master12 monkey12 dragon12
hello123 test1234 testtest secret123 admin123 administrator access14 liverpool chelsea1 arsenal1
pokemon1 samsung1 google123 tinkerbell babygirl ashley12 jordan23 qwerty1234 zxcvbnm1 zxcvbnmm
1234abcd 1a2b3c4d letmein! q1w2e3r4t5 asdfghjkl loveyou1 lovely12 flower12 summer12 summer123
hospital hospital1 clinic123 clinic2024 clinic2025 clinic2026 doctor123 doctor12 patient1
patient123 medicine nurse123 healthcare tumorpredict tumorpredict1 radiology
spring2024 summer2024 autumn2024 winter2024 spring2025 summer2025 autumn2025 winter2025
spring2026 summer2026 autumn2026 winter2026 january2026 december2025
""".split())


def is_common_password(password: str) -> bool:
    """True for a password from the list, ignoring case and trailing "!", "." or "?"."""
    folded = password.strip().casefold()
    return folded in _COMMON or re.sub(r"[!.?]+$", "", folded) in _COMMON
