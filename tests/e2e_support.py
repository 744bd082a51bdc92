"""Helpers shared by the Python end-to-end tests (the counterpart of
tests/e2e_support.h): polling with a deadline instead of sleeps, and reading
rampartd's start-up lines up to "rampartd: ready"."""
import hashlib
import time


def poll(check, deadline_s, errors=(OSError,), interval=0.1):
    """Calls check() until it returns a true value or deadline_s pass; an
    exception of `errors` counts as not yet. Returns (value, last): value is
    the true value, or None at the deadline; last is what check() gave last."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last, last
        except errors:
            pass
        time.sleep(interval)
    return None, last


def ready_lines(proc, describe=lambda: "", max_lines=20):
    """rampartd's stdout lines (its ports, then "rampartd: ready"); raises
    AssertionError with them and describe() when it stops before ready."""
    lines = []
    for _ in range(max_lines):
        line = proc.stdout.readline()
        lines.append(line)
        if not line or line.startswith("rampartd: ready"):
            break
    if not lines[-1].startswith("rampartd: ready"):
        raise AssertionError("rampartd did not start: %r\n%s" % (lines, describe()))
    return lines


def sha256_hex(text):
    """The hex SHA-256 of a token, as rampartd's [[http.tokens]] sha256 wants it."""
    return hashlib.sha256(text.encode()).hexdigest()


def token_toml(name, token, rights):
    """A [[http.tokens]] section of rampart.toml for `token` with `rights`."""
    quoted = ", ".join('"%s"' % r for r in rights)
    return '[[http.tokens]]\nname = "%s"\nsha256 = "%s"\nrights = [%s]\n' % (name, sha256_hex(token), quoted)
