#!/usr/bin/env python3
"""Generate src/pjsip/option_table.rs from the Asterisk source tarball.

Reads (straight from the tarball, nothing is extracted):
  * every `ast_sorcery_object_field_register*` / `ast_sorcery_object_fields_register`
    call in the .c files under res/, main/ and channels/ whose object type is loaded
    by res_pjsip and its modules (found from their `ast_sorcery_apply_default` calls);
  * the C preprocessor context of those calls: object-like #defines (file, then
    include/), __stringify, `X ? "yes" : "no"`, designated-initializer arrays, the
    #if/#ifdef blocks around them (evaluated for the bundled-pjproject build, from
    third-party/pjproject/configure.m4);
  * the custom handlers' C code (and the helpers they call) to classify them: the
    literals a handler compares the value against, with strcmp or strcasecmp,
    whether it also takes ast_true/ast_false words, whether it refuses the rest;
  * main/config_options.c's rules for the OPT_* types;
  * the <configInfo> XML documentation (res/res_pjsip/pjsip_config.xml and the
    DOCUMENTATION blocks of the modules) for the one-line help and fallback defaults.

Usage:
  python3 scripts/gen-option-table.py [--source TARBALL_OR_DIR] [--output FILE]
  python3 scripts/gen-option-table.py --check     # exit 1 and print a diff if stale
  python3 scripts/gen-option-table.py --report    # findings about the source, on stderr

The output is deterministic: same source, same bytes.
"""

import argparse
import difflib
import io
import os
import re
import sys
import tarfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(ROOT, "..", "shared", "asterisk", "asterisk-22.10.1.tar.gz")
DEFAULT_OUTPUT = os.path.join(ROOT, "src", "pjsip", "option_table.rs")
SCRIPT_NAME = "scripts/gen-option-table.py"

# The object types read from pjsip.conf, in table order. Types found in the source
# beyond these are appended (sorted); a type listed here but absent is an error.
# "contact" is stored in astdb, not pjsip.conf, but is listed on request.
TYPE_ORDER = [
    "endpoint", "aor", "auth", "transport", "registration", "identify", "acl",
    "domain_alias", "contact", "global", "system", "outbound-publish",
    "inbound-publication", "asterisk-publication", "resource_list", "phoneprov",
]
EXTRA_TYPES = {"contact"}

# #if symbols that configure.m4 does not decide, as the test build has them
# (Linux, OpenSSL present so pjproject has SSL sockets, no TEST_FRAMEWORK/DEVMODE).
ASSUMED_SYMBOLS = {
    "HAVE_OPENSSL": 1, "PJ_HAS_SSL_SOCK": 1, "AST_XML_DOCS": 1,
    "TEST_FRAMEWORK": 0, "AST_DEVMODE": 0, "__APPLE__": 0,
}

# Constants from system headers.
BUILTIN_CONSTANTS = {
    "INT_MAX": 2147483647, "INT_MIN": -2147483648, "UINT_MAX": 4294967295,
    "INT32_MAX": 2147483647, "INT32_MIN": -2147483648, "UINT32_MAX": 4294967295,
    "NULL": None,
}

U32_MAX = 4294967295
I32_MIN, I32_MAX = -2147483648, 2147483647

REGISTER_FUNCS = (
    "ast_sorcery_object_field_register_custom_alias",
    "ast_sorcery_object_field_register_custom_nodoc",
    "ast_sorcery_object_field_register_custom",
    "ast_sorcery_object_field_register_alias",
    "ast_sorcery_object_field_register_nodoc",
    "ast_sorcery_object_field_register",
    "ast_sorcery_object_fields_register",
)

# How many varargs each field-offset macro expands to (main/config_options.h).
FLDSET_ARGC = {"FLDSET": 1, "CHARFLDSET": 2, "STRFLDSET": 3, "ARGIFY": None}


class GenError(Exception):
    pass


class Unknown(Exception):
    """A preprocessor condition or C expression this script cannot decide."""


# --------------------------------------------------------------------------- source


class Source:
    """The Asterisk tree, from a .tar.gz or a directory; paths relative to its top."""

    def __init__(self, path):
        self.path = path
        self.files = {}
        self._tar = None
        if os.path.isdir(path):
            top = path
            if not os.path.exists(os.path.join(top, ".version")):
                subs = [d for d in sorted(os.listdir(path))
                        if os.path.exists(os.path.join(path, d, ".version"))]
                if len(subs) != 1:
                    raise GenError(f"{path}: no Asterisk tree (.version) found")
                top = os.path.join(path, subs[0])
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                for f in filenames:
                    full = os.path.join(dirpath, f)
                    self.files[os.path.relpath(full, top).replace(os.sep, "/")] = full
        elif not os.path.exists(path):
            raise GenError(f"{path}: no such file or directory (use --source TARBALL_OR_DIR)")
        else:
            try:
                self._tar = tarfile.open(path, "r:*")
            except (OSError, tarfile.TarError) as e:
                raise GenError(f"{path}: not a readable tarball: {e}") from e
            for m in self._tar.getmembers():
                if not m.isfile():
                    continue
                parts = m.name.split("/", 1)
                if len(parts) == 2:
                    self.files[parts[1]] = m
        self._cache = {}
        if ".version" not in self.files:
            raise GenError(f"{path}: no .version file: not an Asterisk source tree")
        self.version = self.read(".version").strip()

    def names(self):
        return sorted(self.files)

    def read(self, rel):
        if rel in self._cache:
            return self._cache[rel]
        ref = self.files.get(rel)
        if ref is None:
            raise GenError(f"{rel}: not in {self.path}")
        if self._tar is not None:
            data = self._tar.extractfile(ref).read()
        else:
            with open(ref, "rb") as fh:
                data = fh.read()
        text = data.decode("utf-8", errors="replace")
        self._cache[rel] = text
        return text


# --------------------------------------------------------------------------- C text


def strip_comments(text):
    """Comments become spaces (newlines kept), so offsets and line numbers hold."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    break
                j += 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def bundled_symbols(src):
    """The HAVE_* symbols a --with-pjproject-bundled configure defines."""
    m4 = src.read("third-party/pjproject/configure.m4")
    start = m4.find("AC_DEFINE([HAVE_PJPROJECT_BUNDLED]")
    end = m4.find("AC_SUBST([PJPROJECT_BUNDLED])", start)
    if start < 0 or end < 0:
        raise GenError("third-party/pjproject/configure.m4: bundled AC_DEFINE block not found")
    return set(re.findall(r"AC_DEFINE\(\[(\w+)\]", m4[start:end]))


class Cond:
    """Evaluates #if expressions for the bundled-pjproject build."""

    def __init__(self, bundled):
        self.bundled = bundled

    def value(self, name):
        """The value of a symbol in an #if; an undefined one is 0."""
        if name in ASSUMED_SYMBOLS:
            return ASSUMED_SYMBOLS[name]
        if name in self.bundled:
            return 1
        if name.startswith("HAVE_PJ"):
            return 0  # a pjproject feature the bundled build does not define
        raise Unknown(name)

    def defined(self, name):
        return self.value(name) != 0

    def eval(self, expr):
        expr = expr.strip()
        expr = re.sub(r"defined\s*\(\s*(\w+)\s*\)", lambda m: "1" if self.defined(m.group(1)) else "0", expr)
        expr = re.sub(r"defined\s+(\w+)", lambda m: "1" if self.defined(m.group(1)) else "0", expr)

        def ident(m):
            tok = m.group(0)
            if re.match(r"0[xX][0-9a-fA-F]+|\d+", tok):
                return str(int(re.sub(r"[uUlL]+$", "", tok), 0))
            return str(self.value(tok))

        expr = re.sub(r"\b(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*)\b", ident, expr)
        expr = expr.replace("&&", " and ").replace("||", " or ")
        expr = re.sub(r"!(?!=)", " not ", expr)
        try:
            return bool(eval(expr, {"__builtins__": {}}, {}))
        except Exception as e:  # noqa: BLE001
            raise Unknown(expr) from e


class CFile:
    """One C file: comment-free code with inactive #if branches blanked out,
    its object-like #defines, and which lines sit under an undecidable #if."""

    def __init__(self, path, text, cond):
        self.path = path
        self.raw = text
        nocomment = strip_comments(text)
        lines = nocomment.split("\n")
        code = []
        self.defines = {}
        self.define_bodies = []  # (line, text) of every #define, to find calls hidden in macros
        self.uncertain = set()
        self.conds = {}  # line -> the #if conditions it is under (when decided true)
        stack = []  # dicts: active, taken (True/False/None=unknown), parent

        def active():
            return all(s["active"] for s in stack)

        i = 0
        while i < len(lines):
            line = lines[i]
            start = i
            logical = line
            while logical.endswith("\\") and i + 1 < len(lines):
                i += 1
                logical = logical[:-1] + " " + lines[i]
            m = re.match(r"\s*#\s*(\w+)\s*(.*)$", logical)
            if m:
                d, rest = m.group(1), m.group(2).strip()
                if d in ("if", "ifdef", "ifndef"):
                    try:
                        if d == "if":
                            v = cond.eval(rest)
                        elif d == "ifdef":
                            v = cond.defined(rest.split()[0])
                        else:
                            v = not cond.defined(rest.split()[0])
                    except Unknown:
                        v = None
                    stack.append({"active": v is not False, "taken": v,
                                  "cond": rest if d == "if" else ("!" if d == "ifndef" else "") + f"defined({rest})"})
                elif d == "elif":
                    if not stack:
                        raise GenError(f"{path}:{start + 1}: #elif without #if")
                    top = stack[-1]
                    if top["taken"] is True:
                        top["active"] = False
                    elif top["taken"] is None:
                        top["active"] = True
                    else:
                        try:
                            v = cond.eval(rest)
                        except Unknown:
                            v = None
                        top["active"] = v is not False
                        top["taken"] = v
                        top["cond"] = rest
                elif d == "else":
                    if not stack:
                        raise GenError(f"{path}:{start + 1}: #else without #if")
                    top = stack[-1]
                    top["active"] = top["taken"] is not True
                    top["cond"] = "!(" + top["cond"] + ")"
                elif d == "endif":
                    if not stack:
                        raise GenError(f"{path}:{start + 1}: #endif without #if")
                    stack.pop()
                elif d == "define" and active():
                    dm = re.match(r"(\w+)(\(?)\s*(.*)$", rest)
                    if dm and not dm.group(2):
                        self.defines[dm.group(1)] = dm.group(3).strip()
                    self.define_bodies.append((start + 1, rest))
                code.extend([""] * (i - start + 1))
            else:
                keep = active()
                for k in range(start, i + 1):
                    code.append(lines[k] if keep else "")
                    if keep and any(s["taken"] is None for s in stack):
                        self.uncertain.add(k + 1)
                    if keep and stack:
                        self.conds[k + 1] = [s["cond"] for s in stack]
            i += 1
        self.code = "\n".join(code)
        self._line_starts = [0]
        for mm in re.finditer("\n", self.code):
            self._line_starts.append(mm.end())

    def line_of(self, offset):
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def function(self, name):
        """(body text, offset) of a function definition `name(...) {...}`."""
        for m in re.finditer(r"\b" + re.escape(name) + r"\s*\(", self.code):
            close = matching(self.code, m.end() - 1)
            k = close + 1
            while k < len(self.code) and self.code[k] in " \t\n":
                k += 1
            if k < len(self.code) and self.code[k] == "{":
                line_start = self.code.rfind("\n", 0, m.start()) + 1
                prefix = self.code[line_start:m.start()]
                if not re.fullmatch(r"[\w\s*]*", prefix) or re.search(r"\breturn\b", prefix):
                    continue
                end = matching(self.code, k)
                return self.code[m.start():end + 1], m.start()
        raise GenError(f"{self.path}: function {name} not found")

    def array(self, name):
        """The string entries of `... name[] = { ... };`: for each element, the
        first string literal in it (designated or positional)."""
        m = re.search(r"\b" + re.escape(name) + r"\s*\[\s*\]\s*=\s*\{", self.code)
        if not m:
            raise GenError(f"{self.path}: array {name} not found")
        end = matching(self.code, m.end() - 1)
        body = self.code[m.end():end]
        out = []
        for el in split_top(body, ","):
            s = re.search(r'"((?:[^"\\]|\\.)*)"', el)
            if s:
                out.append(s.group(1))
        return out, self.line_of(m.start())

    def designated(self, name):
        """{INDEX_NAME: "string"} of a designated-initializer string array."""
        m = re.search(r"\b" + re.escape(name) + r"\s*\[\s*\]\s*=\s*\{", self.code)
        if not m:
            raise GenError(f"{self.path}: array {name} not found")
        end = matching(self.code, m.end() - 1)
        out = {}
        for el in split_top(self.code[m.end():end], ","):
            dm = re.match(r'\s*\[\s*(\w+)\s*\]\s*=\s*"((?:[^"\\]|\\.)*)"', el)
            if dm:
                out[dm.group(1)] = dm.group(2)
        return out


def matching(text, open_pos):
    """Offset of the bracket closing the one at open_pos, skipping strings."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = [pairs[text[open_pos]]]
    i = open_pos + 1
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if c != stack.pop():
                raise GenError(f"unbalanced brackets near offset {i}")
            if not stack:
                return i
        i += 1
    raise GenError(f"unclosed bracket at offset {open_pos}")


def split_top(text, sep):
    """Split on `sep` outside brackets and strings."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def c_unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


# --------------------------------------------------------------------------- C expressions


class Evaluator:
    """Evaluates registration arguments: literals, macros, __stringify, ternaries,
    array lookups, and the snprintf-built default_useragent."""

    def __init__(self, cfile, header_defines, version):
        self.f = cfile
        self.headers = header_defines
        self.version = version

    def macro(self, name):
        if name in self.f.defines:
            return self.f.defines[name]
        if name in self.headers:
            vals = self.headers[name]
            if len(vals) > 1:
                raise Unknown(f"{name} is defined differently in several headers")
            return next(iter(vals))
        return None

    def expand(self, text, depth=0):
        """Macro-expand the identifiers of `text` (for __stringify)."""
        if depth > 20:
            raise Unknown(text)

        def rep(m):
            body = self.macro(m.group(0))
            return m.group(0) if body is None else self.expand(body, depth + 1)

        return re.sub(r"\b[A-Za-z_]\w*\b", rep, text).strip()

    def eval(self, expr, depth=0):
        expr = expr.strip()
        if depth > 20:
            raise Unknown(expr)
        while expr.startswith("(") and matching(expr, 0) == len(expr) - 1:
            expr = expr[1:-1].strip()
        # ternary
        q = split_top(expr, "?")
        if len(q) == 2:
            branches = split_top(q[1], ":")
            if len(branches) != 2:
                raise Unknown(expr)
            return self.eval(branches[0], depth + 1) if self.eval(q[0], depth + 1) else self.eval(branches[1], depth + 1)
        # string literal(s), concatenated
        if expr.startswith('"'):
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', expr)
            out = []
            for lit, other in parts:
                if other:
                    v = self.eval(other, depth + 1)
                    if not isinstance(v, str):
                        raise Unknown(expr)
                    out.append(v)
                else:
                    out.append(c_unescape(lit))
            return "".join(out)
        m = re.fullmatch(r"-?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*", expr)
        if m:
            return int(expr.replace(" ", "").rstrip("uUlL"), 0)
        m = re.fullmatch(r"-\s*(.+)", expr)
        if m:
            v = self.eval(m.group(1), depth + 1)
            if isinstance(v, int):
                return -v
            raise Unknown(expr)
        m = re.fullmatch(r"__stringify\s*\((.*)\)", expr, re.S)
        if m:
            return self.expand(m.group(1))
        m = re.fullmatch(r"(\w+)\s*\[\s*(\w+)\s*\]", expr)
        if m:
            table = self.f.designated(m.group(1))
            idx = self.expand(m.group(2))
            if idx not in table:
                raise Unknown(expr)
            return table[idx]
        m = re.fullmatch(r"[A-Za-z_]\w*", expr)
        if m:
            if expr in BUILTIN_CONSTANTS:
                return BUILTIN_CONSTANTS[expr]
            body = self.macro(expr)
            if body is not None:
                return self.eval(body, depth + 1)
            return self.runtime_string(expr)
        raise Unknown(expr)

    def runtime_string(self, name):
        """A char buffer filled by `snprintf(name, sizeof(name), FMT, args...)`."""
        m = re.search(r"\bsnprintf\s*\(\s*" + re.escape(name) + r"\s*,", self.f.code)
        if not m:
            raise Unknown(name)
        p = self.f.code.find("(", m.start())
        args = split_top(self.f.code[p + 1:matching(self.f.code, p)], ",")
        fmt = self.eval(args[2])
        vals = []
        for a in args[3:]:
            a = a.strip()
            if re.fullmatch(r"ast_get_version\s*\(\s*\)", a):
                vals.append(self.version)
            else:
                vals.append(self.eval(a))
        if not isinstance(fmt, str) or fmt.count("%s") != len(vals) or fmt.count("%") != len(vals):
            raise Unknown(name)
        return fmt % tuple(vals)


def header_defines(src, cond):
    """Object-like #defines of include/ and res/res_pjsip/include/: name -> {bodies}."""
    out = {}
    for name in src.names():
        if not name.endswith(".h"):
            continue
        if not (name.startswith("include/") or name.startswith("res/res_pjsip/include/")):
            continue
        cf = CFile(name, src.read(name), cond)
        for k, v in cf.defines.items():
            out.setdefault(k, set()).add(v)
    return out


# --------------------------------------------------------------------------- registrations


def find_calls(cfile, funcs):
    pat = re.compile(r"\b(" + "|".join(funcs) + r")\s*\(")
    for m in pat.finditer(cfile.code):
        open_pos = m.end() - 1
        close = matching(cfile.code, open_pos)
        args = [a.strip() for a in split_top(cfile.code[open_pos + 1:close], ",")]
        yield m.group(1), args, cfile.line_of(m.start())


def parse_flags(expr):
    expr = expr.strip()
    if re.fullmatch(r"\d+", expr):
        return int(expr), set()
    names = {t.strip() for t in expr.split("|")}
    if not all(re.fullmatch(r"PARSE_\w+", n) for n in names):
        raise Unknown(expr)
    return None, names


def collect(src):
    cond = Cond(bundled_symbols(src))
    headers = header_defines(src, cond)
    findings = []
    c_files = [n for n in src.names()
               if n.endswith(".c") and n.split("/")[0] in ("res", "main", "channels")]
    parsed = {}

    def cfile(name):
        if name not in parsed:
            parsed[name] = CFile(name, src.read(name), cond)
        return parsed[name]

    # 1. Which types are loaded from pjsip.conf.
    types = {}
    for name in c_files:
        text = src.read(name)
        if "ast_sorcery_apply_default" not in text:
            continue
        cf = cfile(name)
        ev = Evaluator(cf, headers, src.version)
        for fn, args, line in find_calls(cf, ["ast_sorcery_apply_default"]):
            if len(args) != 4:
                continue
            try:
                t, wizard, data = ev.eval(args[1]), ev.eval(args[2]), ev.eval(args[3])
            except Unknown:
                continue
            if wizard == "config" and isinstance(data, str) and data.split(",")[0] == "pjsip.conf":
                types[t] = (name, line, f"config {data}", args[0])
            elif t in EXTRA_TYPES:
                types[t] = (name, line, f"{wizard} {data}", args[0])
    missing = [t for t in TYPE_ORDER if t not in types]
    if missing:
        raise GenError(f"types not registered in the source: {', '.join(missing)}")
    order = TYPE_ORDER + sorted(t for t in types if t not in TYPE_ORDER)

    # 2. Every field registration on those types.
    regs = []
    for name in c_files:
        text = src.read(name)
        if "ast_sorcery_object_field" not in text:
            continue
        cf = cfile(name)
        ev = Evaluator(cf, headers, src.version)
        for line, body in cf.define_bodies:
            if re.search(r"ast_sorcery_object_fields?_register", body):
                findings.append(f"registration inside a macro (#define at {name}:{line}), not expanded")
        for fn, args, line in find_calls(cf, REGISTER_FUNCS):
            try:
                otype = ev.eval(args[1])
            except Unknown:
                if "pjsip" in name:
                    raise GenError(f"{name}:{line}: cannot evaluate the object type {args[1]!r}")
                continue
            if otype not in types:
                continue
            # The same type name may live in another sorcery instance (chan_websocket has
            # its own "global"): take a registration made in the file that applied the
            # pjsip.conf wizard, or one made on res_pjsip's own instance.
            tfile, _, _, tsorcery = types[otype]
            sorcery = re.sub(r"\s+", "", args[0])
            if name != tfile and not (sorcery == "ast_sip_get_sorcery()" and otype != "system"):
                findings.append(f"{name}:{line}: registers '{otype}' option {args[2]} on another sorcery "
                                "instance: ignored")
                continue
            if line in cf.uncertain:
                raise GenError(f"{name}:{line}: registration under an #if this script cannot decide")
            if line in cf.conds:
                findings.append(f"{otype}/{args[2].strip(chr(34))}: registered only under "
                                + " and ".join(f"#if {c}" for c in cf.conds[line]) + " (true in this build)")
            reg = {"file": name, "line": line, "type": otype, "func": fn, "cfile": cf}
            if fn == "ast_sorcery_object_fields_register":
                reg.update(pattern=True, name=ev.eval(args[2]), default=None, opt="OPT_CUSTOM_T",
                           handler=args[3], alias=False, nodoc=False, flags_raw="0", varargs=[])
            else:
                custom = "_custom" in fn
                try:
                    opt_name = ev.eval(args[2])
                except Unknown:
                    raise GenError(f"{name}:{line}: cannot evaluate the option name {args[2]!r}")
                reg.update(pattern=False, name=opt_name, alias=fn.endswith("_alias"),
                           nodoc=fn.endswith("_nodoc"))
                try:
                    reg["default"] = ev.eval(args[3])
                    reg["default_expr"] = None
                except Unknown:
                    reg["default"] = None
                    reg["default_expr"] = args[3]
                if custom:
                    reg.update(opt="OPT_CUSTOM_T", handler=args[4], flags_raw=args[7], varargs=args[8:])
                else:
                    reg.update(opt=args[4], handler=None, flags_raw=args[5], varargs=args[6:])
                if reg["default"] is not None and not isinstance(reg["default"], str):
                    if reg["default"] == 0:
                        reg["default"] = None  # a literal 0 is a NULL default
                    else:
                        raise GenError(f"{name}:{line}: default {args[3]!r} is not a string")
                reg["ev"] = ev
            regs.append(reg)
    return types, order, regs, findings, cfile


# --------------------------------------------------------------------------- documentation


def text_of(el):
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip() if el is not None else ""


def collect_docs(src):
    """{(type, option): {synopsis, default, enums, file}} for pjsip.conf objects."""
    docs = {}
    dups = []
    roots = []
    for name in src.names():
        if not name.startswith("res/"):
            continue
        if name.endswith(".xml"):
            text = src.read(name)
            if "<configInfo" in text and "pjsip.conf" in text:
                roots.append((name, ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", text))))
        elif name.endswith(".c"):
            text = src.read(name)
            for m in re.finditer(r"/\*\*\* DOCUMENTATION(.*?)\*\*\*/", text, re.S):
                if "pjsip.conf" not in m.group(1):
                    continue
                roots.append((name, ET.fromstring(
                    '<docs xmlns:xi="http://www.w3.org/2001/XInclude">' + m.group(1) + "</docs>")))
    for fname, root in roots:
        for cf in root.iter("configFile"):
            if cf.get("name") != "pjsip.conf":
                continue
            for co in cf.findall("configObject"):
                for opt in co.findall("configOption"):
                    key = (co.get("name"), opt.get("name"))
                    desc = opt.find("description")
                    enums = []
                    if desc is not None:
                        for el in desc.iter("enumlist"):
                            enums.extend(e.get("name") for e in el.findall("enum"))
                    entry = {"synopsis": text_of(opt.find("synopsis")), "default": opt.get("default"),
                             "enums": enums, "file": fname, "regex": opt.get("regex")}
                    if key in docs:
                        dups.append(f"{key[0]}/{key[1]} documented twice ({docs[key]['file']}, {fname})")
                        continue
                    docs[key] = entry
    return docs, dups


# --------------------------------------------------------------------------- handler analysis
#
# A custom handler is classified by a rule below, chosen after reading its code; the
# values are not copied here but extracted from the C code each run, so a changed
# handler changes the table. A handler without a rule becomes Kind::Custom with a
# warning.


def literals(body, value_var, exclude_prefix=None):
    """(values, case-insensitive?) compared against `value_var` in `body`."""
    v = re.escape(value_var)
    pats = [
        re.compile(r"\b(strcasecmp|strcmp)\s*\(\s*" + v + r'\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)'),
        re.compile(r'\b(strcasecmp|strcmp)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*' + v + r"\s*\)"),
    ]
    found = []
    for p in pats:
        for m in p.finditer(body):
            if exclude_prefix and exclude_prefix in body[max(0, m.start() - 40):m.start()]:
                continue
            found.append((m.start(), m.group(1), c_unescape(m.group(2))))
    found.sort()
    funcs = {f for _, f, _ in found}
    if len(funcs) > 1:
        raise GenError(f"mixed strcmp/strcasecmp on {value_var}")
    values = []
    for _, _, s in found:
        if s not in values:
            values.append(s)
    return values, funcs == {"strcasecmp"}


def takes_bool_words(body, value_var):
    v = re.escape(value_var)
    return bool(re.search(r"\bast_(true|false)\s*\(\s*" + v + r"\s*\)", body))


def refuses(body):
    """Whether the code has a -1 (an error return) outside string literals."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', body)
    return bool(re.search(r"-\s*1\b", code))


def branch(body, marker):
    """The `{...}` block of the if/else-if whose condition holds `marker`."""
    i = body.find(marker)
    if i < 0:
        raise GenError(f"branch {marker} not found")
    k = body.find("{", i)
    return body[k:matching(body, k) + 1]


class Rule:
    def __init__(self, kind, note="", list_=False, handler=None):
        self.kind = kind  # tuple, see render_kind
        self.note = note
        self.list = list_
        self.handler = handler


def enum_rule(body, value_var, where, exclude_prefix=None, list_=False):
    values, ci = literals(body, value_var, exclude_prefix)
    if not values:
        raise GenError(f"{where}: no literals compared against {value_var}")
    also_bool = takes_bool_words(body, value_var)
    if re.search(r"ast_strlen_zero\s*\(\s*" + re.escape(value_var) + r"\s*\)\s*\|\|", body):
        values.append("")  # empty is taken as the first choice
    if not refuses(body):
        return Rule(("Custom",), "any value is accepted; only " + ", ".join(values)
                    + (" (case-insensitive)" if ci else " (case-sensitive)") + " take effect", list_)
    return Rule(("Enum", values, ci, also_bool), "", list_)


def table_values(cfile_of, table_file, table, lookup_file, lookup_func):
    values, _ = cfile_of(table_file).array(table)
    body, _ = cfile_of(lookup_file).function(lookup_func)
    m = re.search(r"\b(strcasecmp|strcmp)\s*\([^;]*\b" + re.escape(table) + r"\b", body)
    if not m:
        raise GenError(f"{lookup_func}: no comparison against {table}")
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out, m.group(1) == "strcasecmp"


def describe(values, ci):
    return ", ".join(values) + (" (case-insensitive)" if ci else " (case-sensitive)")


def classify_custom(reg, cfile_of):
    """The Rule for a custom handler registration, from its C code."""
    h, t, name, f = reg["handler"], reg["type"], reg["name"], reg["file"]
    own = cfile_of(f)

    def body_of(fn, file=None):
        return (cfile_of(file) if file else own).function(fn)[0]

    def enum_in(fn, var="var->value", file=None, **kw):
        return enum_rule(body_of(fn, file), var, f"{file or f}:{fn}", **kw)

    # ---- enumerations whose literals live in the handler or the helper it calls
    direct = {
        "prack_handler", "timers_handler", "direct_media_method_handler",
        "connected_line_method_handler", "direct_media_glare_mitigation_handler",
        "media_encryption_handler", "t38udptl_ec_handler", "redirect_method_handler",
        "auth_type_handler", "transport_protocol_handler", "transport_tls_method_handler",
        "overload_trigger_handler",
    }
    if h in direct:
        return enum_in(h)
    if h == "dtmf_handler":
        assert "ast_sip_str_to_dtmf" in body_of(h)
        return enum_in("ast_sip_str_to_dtmf", "dtmf_mode", "res/res_pjsip.c")
    if h == "security_negotiation_handler":
        assert "ast_sip_set_security_negotiation" in body_of(h)
        return enum_in("ast_sip_set_security_negotiation", "val", "res/res_pjsip/pjsip_configuration.c")
    if h == "call_offer_pref_handler":
        # ast_sip_call_codec_str_to_pref takes the *_merge values only when is_outgoing,
        # and is_outgoing is strcmp(var->name, "outgoing_call_offer_pref") == 0.
        assert 'strcmp(var->name, "outgoing_call_offer_pref") == 0' in body_of(h)
        outgoing = name == "outgoing_call_offer_pref"
        return enum_in("ast_sip_call_codec_str_to_pref", "pref_str", "res/res_pjsip.c",
                       exclude_prefix=None if outgoing else "is_outgoing &&")
    if h == "dtls_handler":
        # dtls_handler strips '_' from the option name and calls ast_rtp_dtls_cfg_parse.
        b = branch(body_of("ast_rtp_dtls_cfg_parse", "main/rtp_engine.c"),
                   f'strcasecmp(name, "{name.replace("_", "")}")')
        if takes_bool_words(b, "value"):
            return Rule(("Bool",))
        if literals(b, "value")[0]:
            return enum_rule(b, "value", f"dtls {name}")
        if re.search(r'sscanf\s*\(\s*value\s*,\s*"%30u"', b):
            return Rule(("Custom",), "unsigned integer read with sscanf %u: a leading number is taken, "
                        "trailing text ignored, '-N' wraps; refused only without a leading number")
        if "ast_file_is_readable" in b:
            return Rule(("Str",), "refused when set to a path Asterisk cannot read")
        return Rule(("Str",))
    if h == "transport_tls_bool_handler":
        b = branch(body_of(h), f'strcasecmp(var->name, "{name}")')
        if not takes_bool_words(b, "var->value"):
            raise GenError(f"{h}: {name} is not an ast_true option")
        return Rule(("Bool",))

    # ---- comma-separated lists of fixed words: not a single Enum
    if h == "ident_handler":
        vals, ci = enum_in("sip_endpoint_identifier_str2type", "str").kind[1:3]
        return Rule(("Custom",), "comma-separated list of " + describe(vals, ci) + "; an unknown word is refused")
    if h == "follow_redirect_methods_handler":
        vals, ci = table_values(cfile_of, f, "redirect_method_mappings", f, h)
        return Rule(("Custom",), "comma-separated list of SIP methods: " + describe(vals, ci)
                    + "; an unknown method is refused; empty clears")
    if h in ("security_mechanism_handler", "security_mechanisms_handler"):
        vals, ci = table_values(cfile_of, "res/res_pjsip/security_agreements.c", "mechanism_str",
                                "res/res_pjsip/security_agreements.c", "str_to_security_mechanism_type")
        return Rule(("Custom",), "comma-separated mechanisms MECH[;q=Q][;param...], MECH one of "
                    + describe(vals, ci) + "; bad entries are dropped silently, never refused")
    if h == "caller_id_privacy_handler":
        vals, ci = table_values(cfile_of, "main/callerid.c", "pres_types", "main/callerid.c",
                                "ast_parse_caller_presentation")
        return Rule(("Custom",), "one of " + describe(vals, ci)
                    + ", or anything starting with an integer (sscanf %d)")
    if h in ("tos_handler", "transport_tos_handler"):
        vals, ci = table_values(cfile_of, "main/acl.c", "dscp_pool1", "main/acl.c", "ast_str2tos")
        extra = "; bits 0-1 are dropped with a warning" if h == "transport_tos_handler" else ""
        return Rule(("Custom",), "DSCP name " + describe(vals, ci)
                    + ", or anything starting with an integer (sscanf %i: decimal, 0x hex, 0 octal), masked to 8 bits" + extra)

    # ---- lists that accumulate over repeated lines
    if h in ("endpoint_acl_handler", "acl_handler"):
        # acl= and contact_acl= name sections of acl.conf: words, not addresses.
        if name.endswith("acl"):
            return Rule(("Str",), "named ACL(s) from acl.conf, appended", list_=True)
        return Rule(("Acl",), "address[/mask], appended to the "
                    + ("contact " if name.startswith("contact_") else "") + "ACL", list_=True)
    if h == "transport_localnet_handler":
        return Rule(("Acl",), "address[/mask], appended; an empty value clears the list", list_=True)
    if h == "ip_identify_match_handler":
        return Rule(("Acl",), "comma-separated IP[/mask][:port] or hostnames (resolved at load), appended",
                    list_=True)
    if h == "set_var_handler":
        return Rule(("Custom",), "NAME=VALUE, refused without '='; appended, a later line with the same NAME "
                    "replaces it; empty is ignored", list_=True)
    if h == "permanent_uri_handler":
        return Rule(("Custom",), "comma-separated SIP/SIPS URIs, each refused if not a sip(s) URI within "
                    "pjproject's length limits; appended", list_=True)
    if h == "list_item_handler":
        return Rule(("Str",), "comma-separated resource names, appended; duplicates ignored", list_=True)
    if h == "transport_tls_cipher_handler":
        return Rule(("Custom",), "comma-separated OpenSSL cipher names or IDs, appended; an unknown cipher "
                    "or more than the maximum is refused", list_=True)
    if h in ("uac_algorithms_handler", "uas_algorithms_handler"):
        return Rule(("Custom",), "comma-separated IANA digest algorithms (MD5, SHA-256, SHA-512-256; "
                    "case-insensitive), appended; unknown or unsupported by OpenSSL is refused", list_=True)
    if h == "password_digest_handler":
        if name == "md5_cred":
            return Rule(("Custom",), "32 hex digits (MD5 of user:realm:password); wrong length is refused")
        return Rule(("Custom",), "comma-separated ALGORITHM:HEXDIGEST (MD5, SHA-256, SHA-512-256); unknown "
                    "algorithm or wrong digest length is refused; one digest kept per algorithm", list_=True)
    if h == "resource_event_handler":
        return Rule(("Custom",), "event_<EVENT> = handler name; refused when empty; each line is added",
                    list_=True)

    # ---- free strings, addresses, things that are accepted as they come
    if h in ("inbound_auth_handler", "outbound_auth_handler"):
        assert "ast_sip_auth_vector_init" in body_of(h)
        return Rule(("Str",), "comma-separated auth section names; a later line replaces the list")
    if h in ("caller_id_tag_handler", "voicemail_extension_handler", "contact_user_handler",
             "resource_endpoint_handler"):
        return Rule(("Str",))
    if h == "caller_id_handler":
        return Rule(("Str",), '"Name" <number>; never refused')
    if h == "media_address_handler":
        return Rule(("Str",), "IP address or hostname; never refused")
    if h == "transport_bind_handler":
        return Rule(("Address",), "IP[:port] ([v6]:port) via pj_sockaddr_parse, which also resolves a "
                    "hostname at load (refused if it does not resolve); empty means 0.0.0.0")
    if h == "transport_tls_file_handler":
        return Rule(("Str",), "refused when set to a path Asterisk cannot read; empty is ignored")
    if h == "from_user_handler":
        return Rule(("Custom",), "refused if it holds a character other than letters, digits and "
                    "-._~%!$&'()*+,;=:")
    if h == "group_handler":
        return Rule(("Custom",), "comma-separated numbers 0-63 or ranges a-b; bad parts are ignored with a "
                    "warning, never refused")
    if h == "named_groups_handler":
        return Rule(("Custom",), "comma-separated group names; refused when non-empty but naming none "
                    "(e.g. ',')")
    if h == "codec_prefs_handler":
        return Rule(("Custom",), "comma-separated name: value pairs: prefer: pending|configured, operation: "
                    "intersect|union|only_preferred|only_nonpreferred, keep: all|first, transcode: "
                    "allow|prevent; refused when malformed" + ("; operation: union is refused here"
                                                                if name == "codec_prefs_incoming_offer" else ""))
    if h == "regex_filter_handler":
        return Rule(("Custom",), "POSIX extended regular expression; refused if it does not compile; "
                    "empty is ignored")
    if h == "expiration_str2struct":
        return Rule(("Custom",), "absolute time in seconds since the epoch (may have a fraction); refused "
                    "without a leading number")
    if h == "stir_shaken_handler":
        return Rule(("Noop",), "no longer supported: accepted, ignored, with a warning; use stir_shaken_profile")
    if h == "transport_state_init":
        return Rule(("Noop",))
    if h == "aco_handler":
        return Rule(("Str",), "passed through to the phoneprov templates")
    return None


def classify(reg, cfile_of, findings):
    """(Rule, handler label) for one registration."""
    opt = reg["opt"]
    if opt == "OPT_CUSTOM_T":
        rule = classify_custom(reg, cfile_of)
        if rule is None:
            findings.append(f"UNREVIEWED handler {reg['handler']} ({reg['type']}/{reg['name']}): Kind::Custom")
            rule = Rule(("Custom",), "handler not reviewed by " + SCRIPT_NAME)
        return rule, reg["handler"]
    flags, pflags = parse_flags(reg["flags_raw"])
    va = reg["varargs"]
    fld = re.match(r"(\w+)\s*\(", va[0]) if va else None
    nfld = FLDSET_ARGC.get(fld.group(1)) if fld else (1 if va else 0)
    extra = va[nfld:] if nfld else []
    ev = reg["ev"]
    if pflags - {"PARSE_IN_RANGE"}:
        raise GenError(f"{reg['file']}:{reg['line']}: flags {reg['flags_raw']} not handled by this script")
    rng = None
    if "PARSE_IN_RANGE" in pflags:
        if len(extra) != 2:
            raise GenError(f"{reg['file']}:{reg['line']}: PARSE_IN_RANGE without min and max")
        rng = (ev.eval(extra[0]), ev.eval(extra[1]))
    if opt == "OPT_NOOP_T":
        return Rule(("Noop",)), opt
    if opt in ("OPT_BOOL_T", "OPT_YESNO_T", "OPT_BOOLFLAG_T"):
        if flags == 0:
            findings.append(f"{reg['type']}/{reg['name']}: {opt} with flags 0: value = ast_false() (inverted)")
        return Rule(("Bool",)), opt
    if opt == "OPT_UINT_T":
        lo, hi = rng if rng else (0, U32_MAX)
        return Rule(("Uint", lo, hi)), opt
    if opt == "OPT_INT_T":
        lo, hi = rng if rng else (I32_MIN, I32_MAX)
        return Rule(("Int", lo, hi)), opt
    if opt == "OPT_DOUBLE_T":
        if rng:
            findings.append(f"{reg['type']}/{reg['name']}: OPT_DOUBLE_T ignores PARSE_IN_RANGE bounds "
                            "(double_handler_fn passes none)")
        return Rule(("Double", None, None)), opt
    if opt in ("OPT_STRINGFIELD_T", "OPT_CHAR_ARRAY_T"):
        if flags:
            # stringfield_handler_fn / chararray_handler_fn: flags != 0 refuse an empty value
            return Rule(("Custom",), "any string but empty: an empty value is refused"), opt
        return Rule(("Str",)), opt
    if opt == "OPT_CODEC_T":
        return Rule(("Codec",), "", list_=True), opt
    if opt == "OPT_SOCKADDR_T":
        return Rule(("Address",)), opt
    if opt == "OPT_ACL_T":
        return Rule(("Acl",), "", list_=True), opt
    if opt == "OPT_TIMELEN_T":
        return Rule(("Duration",)), opt
    raise GenError(f"{reg['file']}:{reg['line']}: option type {opt} not handled by this script")


# --------------------------------------------------------------------------- building the table


def build(src):
    types, order, regs, findings, cfile_of = collect(src)
    docs, doc_dups = collect_docs(src)
    findings.extend(doc_dups)
    table = {t: [] for t in order}
    patterns = []
    seen = {}
    for reg in regs:
        rule, handler = classify(reg, cfile_of, findings)
        key = (reg["type"], reg["name"])
        doc = docs.get(key)
        if reg["pattern"]:
            doc = None
        # default: the registration's, else the documentation's
        default = reg.get("default")
        if default is None:
            xml_default = doc.get("default") if doc else None
            if reg.get("default_expr"):
                findings.append(f"{key[0]}/{key[1]}: default {reg['default_expr']!r} not evaluable; "
                                f"XML default {xml_default!r} used")
            elif xml_default:
                findings.append(f"{key[0]}/{key[1]}: registered with a NULL default; XML default "
                                f"{xml_default!r} used")
            default = xml_default or ""
        elif doc and doc.get("default") is not None and doc["default"] != default:
            findings.append(f"{key[0]}/{key[1]}: registered default {default!r}, XML says {doc['default']!r}")
        synopsis = doc["synopsis"] if doc else ""
        if not doc and not reg["pattern"] and not reg["nodoc"]:
            findings.append(f"{key[0]}/{key[1]}: registered ({reg['file']}:{reg['line']}) but not documented")
        help_ = synopsis
        if rule.note:
            help_ = (help_ + " " if help_ else "") + "[" + rule.note + "]"
        if rule.kind[0] == "Enum" and doc and doc["enums"]:
            code_vals = {v.lower() for v in rule.kind[1] if v}
            xml_vals = {v.lower() for v in doc["enums"]}
            if rule.kind[3]:
                xml_vals -= {"yes", "no", "true", "false"}
            if code_vals != xml_vals:
                findings.append(f"{key[0]}/{key[1]}: code accepts {sorted(code_vals)}, XML enumlist lists "
                                f"{sorted(xml_vals)}")
        entry = {
            "name": reg["name"], "kind": rule.kind, "default": default, "help": help_,
            "handler": handler, "source": f"{reg['file']}:{reg['line']}", "list": rule.list,
            "alias_of": None, "reg": reg,
        }
        if reg["pattern"]:
            patterns.append((reg["type"], entry))
            continue
        lk = (reg["type"], reg["name"].lower())
        if lk in seen:
            findings.append(f"{key[0]}/{key[1]}: registered twice ({seen[lk]} and {entry['source']}); "
                            "the first registration is the one aco_option_find returns")
            continue
        seen[lk] = entry["source"]
        table[reg["type"]].append(entry)

    for t, entries in table.items():
        if not any(e["name"] == "type" and e["kind"] == ("Noop",) for e in entries):
            raise GenError(f"{t}: no 'type' option registered as a no-op")

    # alias_of: the non-alias registration on the same field (same FLDSET argument).
    for t, entries in table.items():
        for e in entries:
            r = e["reg"]
            if not r["alias"]:
                continue
            target = [o for o in entries if not o["reg"]["alias"] and o is not e
                      and o["reg"]["varargs"] == r["varargs"] and o["reg"].get("handler") == r.get("handler")
                      and o["reg"]["opt"] == r["opt"]]
            if len(target) != 1:
                raise GenError(f"{t}/{e['name']}: alias without a unique field twin")
            e["alias_of"] = target[0]["name"]
        # same field, both registered as full options: deprecated spellings
        byfield = {}
        for e in entries:
            r = e["reg"]
            va = r["varargs"]
            if r["alias"] or r["opt"] == "OPT_CUSTOM_T" or not va or not re.match(r"(STR|CHAR)?FLDSET", va[0]):
                continue
            byfield.setdefault((r["opt"], va[0]), []).append(e["name"])
        for names in byfield.values():
            if len(names) > 1:
                findings.append(f"{t}: {' and '.join(names)} set the same field (both full registrations)")

    # phoneprov-style free-form types: a "^" pattern matches every option name.
    free_form = sorted({t for t, e in patterns if e["name"] == "^"})
    for t in free_form:
        pat = next(e for pt, e in patterns if pt == t and e["name"] == "^")
        for (dt, dn), doc in sorted(docs.items(), key=lambda kv: kv[0]):
            if dt != t or dn == "*" or any(e["name"].lower() == dn.lower() for e in table[t]):
                continue
            table[t].append({
                "name": dn, "kind": pat["kind"], "default": doc.get("default") or "",
                "help": doc["synopsis"] + " [documented; taken by the '^' pattern registration]",
                "handler": pat["handler"], "source": pat["source"], "list": pat["list"],
                "alias_of": None, "reg": pat["reg"],
            })
            findings.append(f"{t}/{dn}: documented only; listed, handled by the '^' pattern ({pat['source']})")
        doc_star = docs.get((t, "*"))
        if doc_star and not pat["help"].startswith(doc_star["synopsis"]):
            pat["help"] = doc_star["synopsis"] + (" " + pat["help"] if pat["help"] else "")

    # documented but never registered
    for (dt, dn), doc in sorted(docs.items()):
        if dt not in table or dn == "*" or dt in free_form:
            continue
        if not any(e["name"].lower() == dn.lower() for e in table[dt]) and not any(
                pt == dt and re.search(pe["name"], dn) for pt, pe in patterns):
            findings.append(f"{dt}/{dn}: documented ({doc['file']}) but not registered")
    return types, order, table, patterns, free_form, findings


# --------------------------------------------------------------------------- rendering


def rust_str(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_kind(kind):
    k = kind[0]
    if k == "Uint":
        return f"Kind::Uint {{ min: {kind[1]}, max: {kind[2]} }}"
    if k == "Int":
        return f"Kind::Int {{ min: {kind[1]}, max: {kind[2]} }}"
    if k == "Double":
        lo = "f64::NEG_INFINITY" if kind[1] is None else repr(float(kind[1]))
        hi = "f64::INFINITY" if kind[2] is None else repr(float(kind[2]))
        return f"Kind::Double {{ min: {lo}, max: {hi} }}"
    if k == "Enum":
        vals = ", ".join(rust_str(v) for v in kind[1])
        return (f"Kind::Enum {{ values: &[{vals}], case_insensitive: {str(kind[2]).lower()}, "
                f"also_bool: {str(kind[3]).lower()} }}")
    return f"Kind::{k}"


def render_rule(e):
    alias = "None" if e["alias_of"] is None else f"Some({rust_str(e['alias_of'])})"
    return (f"OptionRule {{ name: {rust_str(e['name'])}, kind: {render_kind(e['kind'])}, "
            f"default: {rust_str(e['default'])}, help: {rust_str(e['help'])}, "
            f"handler: {rust_str(e['handler'])}, source: {rust_str(e['source'])}, "
            f"list: {str(e['list']).lower()}, alias_of: {alias} }}")


def const_name(t):
    return re.sub(r"[^A-Za-z0-9]", "_", t).upper()


def render(src, types, order, table, patterns, free_form):
    v = src.version
    out = io.StringIO()
    w = out.write
    w(f"//! GENERATED by {SCRIPT_NAME} from asterisk-{v}: do not edit.\n")
    w("//!\n")
    w("//! Every option of every res_pjsip sorcery object type, as Asterisk registers it\n")
    w("//! (`ast_sorcery_object_field_register*`), classified from the handlers' C code.\n")
    w(f"//! Regenerate: `python3 {SCRIPT_NAME}`; check: `python3 {SCRIPT_NAME} --check`.\n")
    w("//! See docs/option-table.md.\n\n")
    w("use super::option_rules::{Kind, OptionRule};\n\n")
    w(f"pub const ASTERISK_VERSION: &str = {rust_str(v)};\n\n")
    w("/// Each object type with its options, in registration order.\n")
    w("pub static TABLE: &[(&str, &[OptionRule])] = &[\n")
    for t in order:
        w(f"    ({rust_str(t)}, {const_name(t)}),\n")
    w("];\n\n")
    w("/// Types that take any option name (a `^` pattern registration).\n")
    w("pub static FREE_FORM: &[&str] = &[" + ", ".join(rust_str(t) for t in free_form) + "];\n\n")
    w("/// Options registered by regular expression (`ast_sorcery_object_fields_register`):\n")
    w("/// (type, rule) where `rule.name` is the POSIX extended regex, matched case-sensitively.\n")
    w("#[rustfmt::skip]\n")
    w("pub static PATTERNS: &[(&str, OptionRule)] = &[\n")
    for t, e in patterns:
        w(f"    ({rust_str(t)}, {render_rule(e)}),\n")
    w("];\n\n")
    w("/// (type, registering file, sorcery default wizard) for each type.\n")
    w("#[rustfmt::skip]\n")
    w("pub static TYPE_SOURCES: &[(&str, &str, &str)] = &[\n")
    for t in order:
        f, line, wiz, _ = types[t]
        w(f"    ({rust_str(t)}, {rust_str(f'{f}:{line}')}, {rust_str(wiz)}),\n")
    w("];\n")
    for t in order:
        w(f"\n#[rustfmt::skip]\npub static {const_name(t)}: &[OptionRule] = &[\n")
        for e in table[t]:
            w(f"    {render_rule(e)},\n")
        w("];\n")
    return out.getvalue()


# --------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE, help="Asterisk source tarball or directory")
    ap.add_argument("--output", default=DEFAULT_OUTPUT, help="the generated Rust file")
    ap.add_argument("--check", action="store_true", help="exit 1 with a diff if the output is stale")
    ap.add_argument("--report", action="store_true", help="print findings about the source on stderr")
    args = ap.parse_args(argv)
    try:
        src = Source(args.source)
        types, order, table, patterns, free_form, findings = build(src)
        text = render(src, types, order, table, patterns, free_form)
    except GenError as e:
        print(f"gen-option-table: {e}", file=sys.stderr)
        return 2
    for f in findings:
        if f.startswith("UNREVIEWED"):
            print(f"gen-option-table: warning: {f}", file=sys.stderr)
    if args.report:
        kinds = {}
        for t in order:
            for e in table[t]:
                kinds[e["kind"][0]] = kinds.get(e["kind"][0], 0) + 1
        print("options per type: " + ", ".join(f"{t}={len(table[t])}" for t in order), file=sys.stderr)
        print("kinds: " + ", ".join(f"{k}={n}" for k, n in sorted(kinds.items())), file=sys.stderr)
        print("patterns: " + ", ".join(f"{t} {e['name']!r}" for t, e in patterns), file=sys.stderr)
        for t in order:
            for e in table[t]:
                if e["kind"][0] == "Custom":
                    print(f"custom: {t}/{e['name']} ({e['handler']}): {e['help']}", file=sys.stderr)
        for f in findings:
            print(f"finding: {f}", file=sys.stderr)
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            rel = os.path.relpath(args.output, ROOT)
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), f"a/{rel}", f"b/{rel} (regenerated)"))
            print(f"gen-option-table: {rel} is stale: run python3 {SCRIPT_NAME}", file=sys.stderr)
            return 1
        return 0
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
