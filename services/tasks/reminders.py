"""Reminder tasks: written next."""
