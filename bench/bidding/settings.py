"""Settings of the bench's server processes: the project's settings, minus the per-connection
rate limits a person needs and a benchmark client does not (everything else unchanged)."""

import os

from config.settings import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# A person cannot bid 100 times a second; the closed-loop clients do, on purpose.
GAVEL_LIVE_BID_RATE = (1e6, 1e6)
GAVEL_LIVE_MESSAGE_RATE = (1e6, 1e6)
GAVEL_LIVE_FANOUT_BUDGET = float(os.environ.get("BENCH_FANOUT_BUDGET", "0"))
GAVEL_LIVE_MAX_UPDATES_PER_SECOND = float(os.environ.get("BENCH_MAX_UPDATES", "0"))
RATELIMIT_ENABLE = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Optional: the interpreter's thread switch interval (default 5 ms), to study GIL convoys
# between the event loop's fan-out and the database threads.
if os.environ.get("BENCH_SWITCH_INTERVAL"):
    import sys

    sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))

# Optional: profile the event loop's thread of a server between two signals (SIGUSR1 starts,
# SIGUSR2 writes <dir>/profile-<pid>.prof), to see where a window's CPU goes without the
# connection phase that precedes it.
if os.environ.get("BENCH_PROFILE_DIR"):
    import cProfile
    import signal

    _profiler = cProfile.Profile()

    def _profile_start(signum: int, frame: object) -> None:
        _profiler.enable()

    def _profile_stop(signum: int, frame: object) -> None:
        _profiler.disable()
        _profiler.dump_stats(f"{os.environ['BENCH_PROFILE_DIR']}/profile-{os.getpid()}.prof")

    signal.signal(signal.SIGUSR1, _profile_start)
    signal.signal(signal.SIGUSR2, _profile_stop)
