"""Who may get an offer: a small, safe expression language over customer features and events.

An offer's ``eligible`` is a Python-like expression, parsed with :mod:`ast` and accepted only if
every node is one of a few kinds: names of customer features, numbers, text, ``True``/``False``,
comparisons (``==  !=  <  <=  >  >=  in  not in``), ``and``/``or``/``not``, ``+ - * /`` and
the functions below. Nothing is ever evaluated by Python: the tree is compiled to an Ibis
expression, so the same rule runs in DuckDB or PostgreSQL. Examples::

    km_since_last_tyres >= 40000
    segment in ['loyal', 'regular'] and days_since_last_visit >= 30
    negative_moment('dressing-room', 14) and not open_case

A missing value (a customer with no visit yet) makes a comparison unknown, and unknown counts
as not eligible.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis

from moments.errors import InputError, Problem

Kind = str  # "number" | "text" | "bool"


@dataclass(frozen=True)
class Function:
    """A function of the language: its argument kinds, result kind and what it means."""

    args: tuple[Kind, ...]
    result: Kind
    doc: str


FUNCTIONS: dict[str, Function] = {
    "negative_moment": Function(
        ("text", "number"),
        "bool",
        "negative_moment('checkout', 14): a moment (or 'any') was judged negative in the last "
        "14 days",
    ),
    "lived": Function(
        ("text", "number"), "bool", "lived('dressing-room', 30): the customer lived it lately"
    ),
    "outcomes": Function(
        ("text", "number"), "number", "outcomes('purchase', 90): how many in the last 90 days"
    ),
    "measure": Function(
        ("text",), "number", "measure('km_since_last_tyres'): the latest value of a measure"
    ),
}


@dataclass(frozen=True)
class Derived:
    """A feature a function call needs, computed per customer next to the base features."""

    function: str
    args: tuple[str | float, ...]

    @property
    def column(self) -> str:
        parts = [self.function, *(str(a) for a in self.args)]
        return "__" + "__".join(parts)


class ExpressionError(ValueError):
    """What is wrong with an expression, where in it (1-based column) and what to do."""

    def __init__(self, what: str, fix: str, column: int | None = None) -> None:
        super().__init__(what)
        self.what, self.fix, self.column = what, fix, column


_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_ALLOWED = "features, numbers, 'text', comparisons, and/or/not, + - * / and the functions"


@dataclass(frozen=True)
class Rule:
    """A parsed, checked eligibility expression, ready to compile against a feature table."""

    source: str
    tree: ast.expr
    needs: frozenset[Derived]
    names: frozenset[str]

    def to_ibis(self, t: ibis.Table) -> ibis.Value:
        """The expression over ``t`` (base features plus each needed derived column);
        unknown (NULL) is False."""
        return _Compiler(t).value(self.tree).fill_null(False)


def parse(source: str, features: Mapping[str, Kind]) -> Rule:
    """Parse and type-check ``source``; raises :class:`ExpressionError` on the first problem."""
    text = source.strip()
    if not text:
        raise ExpressionError("the expression is empty", "write e.g. 'days_since_last_visit >= 30'")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise ExpressionError(
            f"not a valid expression ({e.msg})",
            "check brackets and quotes; combine conditions with 'and' / 'or'",
            e.offset,
        ) from None
    except RecursionError:  # e.g. thousands of 'not's: Python's parser gives up
        raise _too_deep() from None
    if _depth(tree) > MAX_DEPTH:  # the checker and compiler recurse: keep them far from the limit
        raise _too_deep()
    checker = _Checker(features)
    kind = checker.kind(tree)
    if kind != "bool":
        raise ExpressionError(
            f"the expression gives a {kind}, not true/false",
            "compare it, e.g. 'days_since_last_visit >= 30'",
            1,
        )
    return Rule(text, tree, frozenset(checker.needs), frozenset(checker.names))


MAX_DEPTH = 64


def _too_deep() -> ExpressionError:
    return ExpressionError(
        f"the expression is nested more than {MAX_DEPTH} levels deep",
        "write it more simply, e.g. split it over several offers",
        1,
    )


def _depth(tree: ast.AST) -> int:
    """How deeply the tree is nested (walked without recursion)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, d = todo.pop()
        deepest = max(deepest, d)
        todo += [(child, d + 1) for child in ast.iter_child_nodes(node)]
    return deepest


class _Checker:
    def __init__(self, features: Mapping[str, Kind]) -> None:
        self.features = features
        self.needs: set[Derived] = set()
        self.names: set[str] = set()

    def fail(self, node: ast.AST, what: str, fix: str) -> ExpressionError:
        return ExpressionError(what, fix, getattr(node, "col_offset", 0) + 1)

    def kind(self, node: ast.expr) -> Kind:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                if self.kind(v) != "bool":
                    raise self.fail(v, "'and' / 'or' join true/false conditions", "compare it")
            return "bool"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            if self.kind(node.operand) != "bool":
                raise self.fail(node, "'not' applies to a true/false condition", "compare first")
            return "bool"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            if self.kind(node.operand) != "number":
                raise self.fail(node, "'-' applies to numbers", "remove it")
            return "number"
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            for side in (node.left, node.right):
                if self.kind(side) != "number":
                    raise self.fail(side, "arithmetic needs numbers", "use a number feature")
            return "number"
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "bool"
            if isinstance(node.value, (int, float)):
                return "number"
            if isinstance(node.value, str):
                return "text"
            raise self.fail(node, f"{node.value!r} is not allowed", "use a number or 'text'")
        if isinstance(node, ast.Name):
            if node.id in ("true", "false"):
                return "bool"
            if node.id not in self.features:
                raise self.fail(
                    node,
                    f"unknown feature '{node.id}'",
                    f"use one of: {', '.join(sorted(self.features))}",
                )
            self.names.add(node.id)
            return self.features[node.id]
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(node, f"'{ast.unparse(node)}' is not allowed here", f"use {_ALLOWED}")

    def _compare(self, node: ast.Compare) -> Kind:
        left = self.kind(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            sym = _COMPARE.get(type(op))
            if sym is None:
                raise self.fail(node, "only == != < <= > >= in and 'not in' compare", "use one")
            if sym in ("in", "not in"):
                if not isinstance(right_node, (ast.List, ast.Tuple)) or not right_node.elts:
                    raise self.fail(right_node, f"'{sym}' needs a list", "write e.g. ['a', 'b']")
                for e in right_node.elts:
                    if not isinstance(e, ast.Constant) or self.kind(e) != left:
                        raise self.fail(e, f"the list must hold {left}s", f"write {left}s only")
                right = left
            else:
                right = self.kind(right_node)
                if right != left:
                    raise self.fail(
                        right_node,
                        f"cannot compare a {left} with a {right}",
                        "compare like with like, e.g. segment == 'loyal'",
                    )
                if left == "text" and sym not in ("==", "!="):
                    raise self.fail(node, "text is compared with == or != only", "use == or in")
            left = right
        return "bool"

    def _call(self, node: ast.Call) -> Kind:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        fn = FUNCTIONS.get(name or "")
        if name is None or fn is None:
            raise self.fail(
                node, f"unknown function '{ast.unparse(node.func)}'", f"use {', '.join(FUNCTIONS)}"
            )
        if node.keywords or len(node.args) != len(fn.args):
            raise self.fail(node, f"{name} takes {len(fn.args)} argument(s)", fn.doc)
        args: list[str | float] = []
        for a, want in zip(node.args, fn.args, strict=True):
            ok = isinstance(a, ast.Constant) and not isinstance(a.value, bool)
            got = self.kind(a) if ok else None
            if got != want:
                raise self.fail(a, f"{name}: this argument must be a {want} written out", fn.doc)
            assert isinstance(a, ast.Constant)
            value = a.value
            if isinstance(value, (int, float)):
                if value < 0 or value != int(value):
                    raise self.fail(a, f"{name}: days must be a whole number ≥ 0", fn.doc)
                args.append(int(value))
            else:
                args.append(str(value))
        self.needs.add(Derived(name, tuple(args)))
        return fn.result


class _Compiler:
    def __init__(self, t: ibis.Table) -> None:
        self.t = t

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.BoolOp):
            vals = [self.value(v).fill_null(False) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.UnaryOp):
            inner = self.value(node.operand)
            return ~inner.fill_null(False) if isinstance(node.op, ast.Not) else -inner
        if isinstance(node, ast.BinOp):
            return _ARITH[type(node.op)](self.value(node.left), self.value(node.right))
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Constant):
            return ibis.literal(node.value)
        if isinstance(node, ast.Name):
            if node.id in ("true", "false"):
                return ibis.literal(node.id == "true")
            return self.t[node.id]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args: tuple[str | float, ...] = tuple(
                int(a.value) if isinstance(a.value, (int, float)) else str(a.value)
                for a in node.args
                if isinstance(a, ast.Constant)
            )
            return self.t[Derived(node.func.id, args).column]
        raise AssertionError(f"unchecked node {ast.dump(node)}")  # parse() rejects these

    def _compare(self, node: ast.Compare) -> Any:
        parts = []
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                assert isinstance(right_node, (ast.List, ast.Tuple))
                items = [e.value for e in right_node.elts if isinstance(e, ast.Constant)]
                test = left.isin(items)
                parts.append(~test if isinstance(op, ast.NotIn) else test)
                continue
            right = self.value(right_node)
            parts.append(
                {
                    ast.Eq: lambda a, b: a == b,
                    ast.NotEq: lambda a, b: a != b,
                    ast.Lt: lambda a, b: a < b,
                    ast.LtE: lambda a, b: a <= b,
                    ast.Gt: lambda a, b: a > b,
                    ast.GtE: lambda a, b: a >= b,
                }[type(op)](left, right)
            )
            left = right
        out = parts[0]
        for p in parts[1:]:
            out = out & p
        return out


def check(source: str, features: Mapping[str, Kind], file: str, line: int | None) -> Rule:
    """:func:`parse`, with a problem reported as an :class:`InputError` at file:line."""
    try:
        return parse(source, features)
    except ExpressionError as e:
        raise InputError(
            Problem(f"{e.what} in '{source.strip()}'", e.fix, file, line, e.column, "eligible")
        ) from None
