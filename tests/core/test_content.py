"""Shipped health tips and emergency content, and a clinic's own versions of them."""

import json

from desktop_app.core.content import Content


def test_shipped_content_is_complete(app):
    tips = app.content.health_tips()
    assert len(tips) >= 10 and all(t["title"] and t["body"] and t["category"] for t in tips)
    assert any("preliminary" in (t["title"] + t["body"]).lower() for t in tips)
    emergency = app.content.emergency()
    assert {"112", "911"} <= {n["number"] for n in emergency["numbers"]}
    assert len(emergency["warning_signs"]) >= 8 and emergency["advice"] and emergency["urgent_message"]
    assert emergency["while_waiting"]
    assert app.content.doctors_directory() == []


def test_a_clinic_overrides_numbers_in_settings_and_files_in_the_data_dir(app, data_dir):
    app.settings.set("emergency_numbers", [{"label": "Ambulance (Kenya)", "number": "999"}, {"label": "no number"}])
    assert [n["number"] for n in app.content.emergency()["numbers"]] == ["999"]
    folder = data_dir / "content"
    folder.mkdir()
    (folder / "health_tips.json").write_text(json.dumps({"tips": [{"title": "Clinic hours", "body": "Open 8-18.", "category": "Clinic"}]}))
    (folder / "doctors.json").write_text(json.dumps({"doctors": [{"username": "dr_bob", "full_name": "Bob Stone"}]}))
    assert [t["title"] for t in app.content.health_tips()] == ["Clinic hours"]
    assert app.content.doctors_directory()[0]["username"] == "dr_bob"


def test_a_broken_clinic_file_falls_back_to_the_shipped_one(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "emergency.json").write_text("{ not json")
    assert Content(tmp_path).emergency()["numbers"]
