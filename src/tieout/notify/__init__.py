"""Telling people: a daily digest e-mail per exception owner and a run summary webhook.
These sit beside the CLI as shells over the state store; no stage calls them."""

from tieout.notify.digest import Digest, collect_digests, send_digests
from tieout.notify.webhook import post_run_summary

__all__ = ["Digest", "collect_digests", "post_run_summary", "send_digests"]
