"""Sending due texts: the dispatcher (`dispatch_due`) and the APScheduler runner."""
