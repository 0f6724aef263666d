#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The doc-command checker catches what it must: wrong output, an unchecked command
block, a 'not run' without a reason, a wrong exit status; --update repairs outputs
and keeps elisions. Uses printf/seq, not tshark, so it runs in a fraction of a second."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = [sys.executable, os.path.join(HERE, "check_docs.py")]

GOOD = """# t
```
$ printf 'a\\tbb\\n1\\t2\\n'
a  bb
1  2
$ seq 10
1
2
…
9
10
```

<!-- doc-test: not run: needs root -->
```sh
sudo true
```

<!-- doc-test: if: false -->
```
$ echo never run
wrong output, not compared
```

<!-- doc-test: if: true -->
```
$ echo run
run
```

<!-- doc-test: exit=3 -->
```
$ echo no; exit 3
no
```

```c
int x;
```
"""

CASES = {
    "wrong output": GOOD.replace("1  2", "1  3"),
    "wrong elision": GOOD.replace("9\n10\n", "8\n10\n"),
    "unchecked command block": GOOD + "\n```sh\ntshark -r x.pcap\n```\n",
    "not run without a reason": GOOD.replace("not run: needs root", "not run"),
    "wrong exit status": GOOD.replace("exit=3", "exit=2"),
    "condition met, wrong output": GOOD.replace("$ echo run\nrun", "$ echo run\nrn"),
}


def check(text, *extra):
    with tempfile.TemporaryDirectory() as d:
        md = os.path.join(d, "t.md")
        with open(md, "w") as f:
            f.write(text)
        p = subprocess.run(CHECK + ["--root", d, "--wrapper", "/bin/false", "--plugin", "/dev/null",
                                    *extra, md], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with open(md) as f:
            return p.returncode, p.stdout.decode(), f.read()


def main():
    bad = 0
    rc, out, _ = check(GOOD)
    if rc != 0:
        print("good document rejected:\n" + out)
        bad += 1
    for name, text in CASES.items():
        rc, out, _ = check(text)
        if rc == 0:
            print(f"not caught: {name}")
            bad += 1
    rc, out, fixed = check(CASES["wrong output"], "--update")
    if rc != 0 or fixed != GOOD:
        print("--update did not restore the document:\n" + out + fixed)
        bad += 1
    rc, out, fixed = check(GOOD.replace("9\n10\n", "8\n10\n"), "--update")
    if fixed != GOOD:
        print("--update did not keep the elision:\n" + fixed)
        bad += 1
    print(f"{len(CASES) + 3} checks, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
