"""Notifications: templates, channels (e-mail, SMS, MMS, WeChat/app, letter), outbox, receipts."""
