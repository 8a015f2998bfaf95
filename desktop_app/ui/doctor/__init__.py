"""The doctor's screens: dashboard, report queues and review, patients, chat, profile."""
