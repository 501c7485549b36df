"""Presentation: the message catalogue, refusal and help texts, and per feature the views.

A view is text plus buttons as plain data (label + action with ids). Nothing here imports
aiogram, SQLAlchemy or a session, so another messaging channel can render the same views.
"""
