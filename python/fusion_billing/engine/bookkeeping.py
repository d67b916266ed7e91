"""Bookkeeping writes on the API's hot path (a key's last use, pruning the throttle's table): made
now and then, in a transaction of their own that waits for no lock, so that a request never fails
or slows for them."""

import logging
import time

_logger = logging.getLogger(__name__)


def write_now_and_then(env, last_written, key, every_seconds, query, params, what):
    """Run `query` with `params` on a cursor of its own with a 100 ms lock timeout, unless this
    worker ran it for `key` less than `every_seconds` ago (`last_written`: the caller's {key:
    monotonic time}). A failure is logged at INFO, naming `what`, and otherwise ignored."""
    now = time.monotonic()
    if now - last_written.get(key, float('-inf')) < every_seconds:
        return
    last_written[key] = now
    try:
        with env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '100ms'")
            cr.execute(query, params)
    except Exception:  # pylint: disable=broad-exception-caught  # bookkeeping lost this time is better than a refused request
        _logger.info('%s not written this time', what, exc_info=True)
