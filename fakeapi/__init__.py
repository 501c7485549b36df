"""Fake Telegram Bot API server for end-to-end tests and the local browser sandbox."""

from fakeapi.errors import ApiError
from fakeapi.schema import Schema
from fakeapi.server import CallRecord, FakeBotAPI, WaitTimeout
from fakeapi.users import FakeUser

__all__ = ["ApiError", "CallRecord", "FakeBotAPI", "FakeUser", "Schema", "WaitTimeout"]
