#!/usr/bin/env python3
"""Runs a command and writes its peak resident set size in KiB to a file: the stand-in for GNU time's ``%M``
that benches/analyzer.sh uses where /usr/bin/time is not GNU time.

    rss.py OUT_FILE COMMAND [ARG...]

The child's stdin, stdout and stderr are this process's; the exit status is the child's (128 + signal when a
signal ended it). ``os.wait4`` gives the rusage of the child and of the descendants it waited for, so a
``sh -c 'a | b'`` reports the largest of them, as GNU time does.
"""

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: rss.py OUT_FILE COMMAND [ARG...]", file=sys.stderr)
        return 2
    out_file, command = argv[0], argv[1:]
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    # Popen must not wait for the pid again.
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(out_file, "w", encoding="ascii") as out:
        out.write("%d\n" % usage.ru_maxrss)
    code = child.returncode
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
