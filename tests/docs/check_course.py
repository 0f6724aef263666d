#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The course kit exists in both languages and they cover the same ground: every
page of docs/course/en/ has a zh-CN twin with the same number of sections and
the same commands (whose outputs docs.commands checks). usage: check_course.py REPO_ROOT"""
import os
import re
import sys


def page(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # a lab script's "--lang zh-CN" (its output in Chinese) is the same command
    return (len(re.findall(r"^##+ ", text, re.M)),
            set(c.replace(" --lang zh-CN", "")
                for c in re.findall(r"^\$ .*(?:\n(?!\$ ).*\\$)*", text, re.M)))


def main():
    course = os.path.join(sys.argv[1], "docs", "course")
    langs = ("en", "zh-CN")
    names = [sorted(f for f in os.listdir(os.path.join(course, lang)) if f.endswith(".md"))
             for lang in langs]
    bad = 0
    if names[0] != names[1]:
        print(f"FAIL pages differ: en {names[0]}, zh-CN {names[1]}")
        bad += 1
    for name in sorted(set(names[0]) & set(names[1])):
        (n_en, c_en), (n_zh, c_zh) = (page(os.path.join(course, lang, name)) for lang in langs)
        if n_en != n_zh:
            print(f"FAIL {name}: {n_en} sections in en, {n_zh} in zh-CN")
            bad += 1
        for cmd in sorted(c_en ^ c_zh):
            print(f"FAIL {name}: only in {'en' if cmd in c_en else 'zh-CN'}: {cmd}")
            bad += 1
        print(f"{name}: {n_en} sections, {len(c_en)} commands")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
