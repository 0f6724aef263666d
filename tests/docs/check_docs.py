#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run every command shown in the docs and compare its output with the output shown.

The convention (see tests/docs/README.md):

* A fenced block whose first line starts with "$ " is a console block. Each
  "$ " line is a command (a trailing backslash continues it on the next line),
  and the lines up to the next "$ " line are its output as shown. A line
  holding only "…" stands for any number of output lines.
* Commands run from the repository root under bash (pipefail), stdout and
  stderr merged, TZ=UTC, LC_ALL=C.UTF-8. "tshark" is a shell function running
  tests/tshark-plugin.sh with the plugin under test, because tshark as root
  ignores the plugin folder. Tab-separated output (-T fields) is shown as
  columns two spaces apart; trailing blanks are ignored.
* A block that cannot run in a test (installing packages, the GUI, live
  capture, root) is preceded by the comment
  <!-- doc-test: not run: REASON -->. The reason is required.
* A console block may be preceded by <!-- doc-test: exit=N --> when its
  commands are expected to fail with status N, or by
  <!-- doc-test: if: SHELL-COMMAND --> when it can run only where that
  command succeeds (e.g. "unshare -rn true"); elsewhere it is reported as not
  run.
* Any other block that looks like commands (language sh/bash/shell/console, or
  lines starting with tshark, cmake, sudo ...) is an error: every command shown
  is either checked or explicitly not run.

--update rewrites the shown outputs from real runs (keeping "…" elisions:
the lines kept before and after each one are taken again from the new output).
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

ELLIPSIS = "…"
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w-]*)")
COMMAND_LANGS = {"sh", "bash", "shell", "console", "sh-session", "shell-session"}
COMMAND_WORDS = re.compile(
    r"^\s*(\$\s|sudo\s|tshark\s|wireshark\s|dumpcap\s|tcpdump\s|cmake\s|ctest\s|"
    r"apt-get\s|apt\s|python3\s|packaging/|tests/|docs/course/labs/)")


class Block:
    def __init__(self, path, start, end, indent, lines, marker):
        self.path, self.start, self.end = path, start, end  # line indexes of the fences
        self.indent, self.lines, self.marker = indent, lines, marker
        self.items = []  # (command, shown output lines)

    def where(self):
        return f"{self.path}:{self.start + 1}"


def parse_markdown(path):
    """Yield the fenced blocks of a Markdown file with the doc-test marker before each."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    blocks, i = [], 0
    while i < len(text):
        m = FENCE.match(text[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        j = i + 1
        close = re.compile(r"^\s*" + re.escape(fence[0]) + r"{%d,}\s*$" % len(fence))
        while j < len(text) and not close.match(text[j]):
            j += 1
        body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip()
                for ln in text[i + 1:j]]
        k = i - 1
        while k >= 0 and not text[k].strip():
            k -= 1
        marker = None
        if k >= 0:
            mm = MARKER.match(text[k])
            if mm:
                marker = mm.group(1)
        b = Block(path, i, j, indent, body, marker)
        b.lang = lang
        blocks.append(b)
        i = j + 1
    return text, blocks


def split_console(block):
    """Split a console block into (command, shown lines) pairs."""
    items, cmd, out, cont = [], None, [], False
    for ln in block.lines:
        if cont:
            cmd += "\n" + ln
            cont = ln.endswith("\\")
        elif ln.startswith("$ "):
            if cmd is not None:
                items.append((cmd, out))
            cmd, out = ln[2:], []
            cont = ln.endswith("\\")
        elif cmd is None:
            if ln.strip():
                raise ValueError(f"{block.where()}: output before the first '$ ' command")
        else:
            out.append(ln)
    if cmd is not None:
        items.append((cmd, out))
    return items


def classify(block):
    """Return 'check', 'skip', 'ignore' or an error string."""
    first = next((ln for ln in block.lines if ln.strip()), "")
    marker = block.marker or ""
    if marker.startswith("not run"):
        reason = marker[len("not run"):].lstrip(":").strip()
        return "skip" if reason else f"{block.where()}: 'not run' needs a reason"
    if first.startswith("$ "):
        cond = re.match(r"if:\s*(.+)", marker)
        if cond and subprocess.run(["bash", "-c", cond.group(1)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL).returncode != 0:
            block.marker = f"not run: this system fails '{cond.group(1)}'"
            return "skip"
        return "check"
    if marker:
        return f"{block.where()}: doc-test marker on a block with no '$ ' command"
    if block.lang in COMMAND_LANGS or any(COMMAND_WORDS.match(ln) for ln in block.lines):
        return (f"{block.where()}: command block neither checked ('$ ' lines with their output) "
                "nor marked <!-- doc-test: not run: REASON -->")
    return "ignore"


def expected_exit(block):
    m = re.search(r"exit=(\d+)", block.marker or "")
    return int(m.group(1)) if m else 0


def run(cmd, root, wrapper, plugin):
    prelude = f'tshark() {{ "{wrapper}" "{plugin}" "$@"; }}\n'
    env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    p = subprocess.run(["bash", "-o", "pipefail", "-c", prelude + cmd], cwd=root, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, align(norm(p.stdout.decode("utf-8", "replace").split("\n")))


def align(lines):
    """Tab-separated output (tshark -T fields) as columns two spaces apart."""
    if not any("\t" in ln for ln in lines):
        return lines
    rows = [ln.split("\t") for ln in lines]
    width = {}
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            width[i] = max(width.get(i, 0), len(cell))
    return [("".join(c.ljust(width[i] + 2) for i, c in enumerate(r[:-1])) + r[-1]).rstrip()
            for r in rows]


def norm(lines):
    lines = [ln.rstrip() for ln in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_booleans(lines):
    """True/False as 1/0, whole words only (how 4.0's -T fields prints them)."""
    return [re.sub(r"\bFalse\b", "0", re.sub(r"\bTrue\b", "1", ln)) for ln in lines]


def segments(shown):
    """Split shown output at "…" lines into literal segments."""
    segs, cur = [], []
    for ln in shown:
        if ln.strip() == ELLIPSIS:
            segs.append(cur)
            cur = []
        else:
            cur.append(ln)
    segs.append(cur)
    return segs


def matches(shown, actual):
    segs = segments(norm(shown))
    if len(segs) == 1:
        return segs[0] == actual
    first, last, middle = segs[0], segs[-1], segs[1:-1]
    if actual[:len(first)] != first:
        return False
    if last and (len(actual) < len(first) + len(last) or actual[-len(last):] != last):
        return False
    pos, end = len(first), len(actual) - len(last)
    for seg in middle:
        found = next((p for p in range(pos, end - len(seg) + 1)
                      if actual[p:p + len(seg)] == seg), None)
        if found is None:
            return False
        pos = found + len(seg)
    return True


def refresh(shown, actual):
    """New shown output from actual, keeping the elisions of the old one."""
    segs = segments(norm(shown))
    if len(segs) == 1:
        return actual
    first, last = segs[0], segs[-1]
    out, pos = list(actual[:len(first)]), len(first)
    end = max(pos, len(actual) - len(last))
    for seg in segs[1:-1]:
        out.append(ELLIPSIS)
        if not seg:
            continue
        key = seg[0].split()[:1]
        start = next((p for p in range(pos, end) if actual[p].split()[:1] == key), pos)
        out.extend(actual[start:start + len(seg)])
        pos = start + len(seg)
    out.append(ELLIPSIS)
    out.extend(actual[end:] if last else [])
    return out


def docs_files(root):
    files = [os.path.join(root, "README.md")]
    for base in ("docs",):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, base)):
            dirnames.sort()
            files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".md")]
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="repository root (commands run there)")
    ap.add_argument("--wrapper", required=True, help="tests/tshark-plugin.sh")
    ap.add_argument("--plugin", required=True, help="the tcpstate.so under test")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true", help="rewrite the shown outputs")
    ap.add_argument("--docs-version", default="4.0",
                    help="the tshark major.minor the shown outputs come from; with another "
                         "tshark, differences skip the test (77) instead of failing it")
    ap.add_argument("--list", action="store_true", help="list the blocks not run, with reasons")
    ap.add_argument("files", nargs="*", help="Markdown files (default: README.md, docs/**.md)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    wrapper, plugin = os.path.abspath(a.wrapper), os.path.abspath(a.plugin)
    files = [os.path.abspath(f) for f in a.files] or docs_files(root)

    errors, parsed, skipped = [], [], []
    for path in files:
        text, blocks = parse_markdown(path)
        rel = os.path.relpath(path, root)
        for b in blocks:
            b.path = rel
            kind = classify(b)
            if kind == "check":
                try:
                    b.items = split_console(b)
                except ValueError as e:
                    errors.append(str(e))
            elif kind == "skip":
                skipped.append(b)
            elif kind != "ignore":
                errors.append(kind)
        parsed.append((path, text, [b for b in blocks if b.items]))

    commands = sorted({cmd for _, _, bl in parsed for b in bl for cmd, _ in b.items})
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        results = dict(zip(commands, pool.map(lambda c: run(c, root, wrapper, plugin), commands)))

    checked = 0
    drift = []  # outputs that differ (version-dependent), as opposed to errors in the docs
    # Another tshark than the docs show prints booleans its own way (-T fields:
    # 1/0 on 4.0, True/False on 4.2+): read them the same way on both sides.
    other = tshark_version() != a.docs_version
    for path, text, blocks in parsed:
        changed = False
        for b in reversed(blocks):
            new_body = []
            for cmd, shown in b.items:
                checked += 1
                status, actual = results[cmd]
                want = expected_exit(b)
                ok_status = status == want
                if not ok_status:
                    errors.append(f"{b.where()}: exit status {status}, expected {want}: $ {cmd}\n"
                                  + "\n".join("    " + ln for ln in actual[-20:]))
                if not matches(shown, actual) and not (
                        other and matches(same_booleans(shown), same_booleans(actual))):
                    if a.update and ok_status:
                        changed = True
                    else:
                        drift.append(f"{b.where()}: output differs: $ {cmd}\n" + diff(shown, actual))
                new_body.append("$ " + cmd)
                new_body += refresh(shown, actual) if a.update and ok_status \
                    and not matches(shown, actual) else shown
            if a.update:
                text[b.start + 1:b.end] = [(b.indent + ln) if ln else ln for ln in new_body]
        if changed:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(text))
            print(f"updated {os.path.relpath(path, root)}")

    for b in skipped:
        if a.list:
            print(f"not run: {b.where()}: {b.marker.split(':', 1)[1].strip()}")
    print(f"{len(files)} files, {checked} commands checked ({len(commands)} distinct), "
          f"{len(skipped)} blocks not run")
    for e in errors + drift:
        print("FAIL " + e, file=sys.stderr)
    if drift and not errors and tshark_version() != a.docs_version:
        print(f"tshark {tshark_version()}, the docs show {a.docs_version}: differences skip the test")
        return 77
    return 1 if errors or drift else 0


def tshark_version():
    out = subprocess.run(["tshark", "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    m = re.search(r"\(Wireshark\) (\d+\.\d+)", out)
    return m.group(1) if m else "?"


def diff(shown, actual):
    import difflib
    d = difflib.unified_diff(norm(shown), actual, "shown", "actual", lineterm="", n=2)
    return "\n".join("    " + ln for ln in d)


if __name__ == "__main__":
    sys.exit(main())
