"""The `medpolicy` command: evaluate requests, and show, diff and check policies.

Every failure ends in one line on standard error and a non-zero exit status, never a
stack trace: 2 for input the command refuses, 1 for golden cases that fail.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from medpolicy.api import default_engine
from medpolicy.cli.batch import open_input
from medpolicy.cli.review import register as register_review
from medpolicy.errors import MedpolicyError, PolicyError

__all__ = ["main"]

EXIT_INVALID = 2
EXIT_INTERNAL = 70


_POLICIES_HELP = (
    "a folder of policy folders, or one policy folder, e.g. a working copy under review "
    "(MEDPOLICY_POLICIES; default: the installed policies)"
)
_ENGINE_COMMANDS = frozenset({"evaluate", "policy", "extract", "review"})


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    with_service = not (arguments and arguments[0] in _ENGINE_COMMANDS | {"--version"})
    parser = _parser(with_service=with_service)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        _unrecognized(_chosen_parser(parser, args), unknown)
    try:
        return int(args.run(args))
    except MedpolicyError as exc:
        print(f"medpolicy: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(
            f"medpolicy: internal error ({type(exc).__name__}); nothing after this point was "
            "written. Please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _parser(*, with_service: bool = True) -> argparse.ArgumentParser:
    """The command's parser; the service's commands (and their heavy imports) only when
    the command line may need them, so that `evaluate` starts fast."""
    parser = argparse.ArgumentParser(
        prog="medpolicy",
        description="Decide prior-authorization requests against medical coverage policies.",
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="print medpolicy's version and exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    evaluate_cmd = commands.add_parser(
        "evaluate", help="decide requests: one JSON object or JSON Lines, from FILE or stdin"
    )
    evaluate_cmd.add_argument("file", nargs="?", default="-", help="request file, or - for stdin")
    evaluate_cmd.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json: one JSON object per request (default); text: a checklist for a person",
    )
    evaluate_cmd.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no summary on standard error",
    )
    evaluate_cmd.set_defaults(run=_evaluate)

    extract_cmd = commands.add_parser(
        "extract",
        help="propose facts from clinical notes: JSON Lines or one text note, from FILE or stdin",
    )
    extract_cmd.add_argument("file", nargs="?", default="-", help="notes file, or - for stdin")
    extract_cmd.set_defaults(run=_extract)

    policy_cmd = commands.add_parser("policy", help="show, compare and check policies")
    policy_sub = policy_cmd.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    show = policy_sub.add_parser("show", help="the criteria of a version, with citations")
    show.add_argument("policy_id")
    show.add_argument("--version", default=None)
    show.add_argument("--format", choices=("markdown", "json"), default="markdown")
    show.add_argument("--policies", metavar="DIR", help=_POLICIES_HELP)
    show.set_defaults(run=_policy_show)
    diff = policy_sub.add_parser("diff", help="what changed between two versions")
    diff.add_argument("policy_id")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--policies", metavar="DIR", help=_POLICIES_HELP)
    diff.set_defaults(run=_policy_diff)
    check = policy_sub.add_parser(
        "check",
        help="validate policy files and run golden cases",
        description=(
            "Load every policy strictly, run its golden cases (policies/<id>/cases/*.yaml), "
            "and warn about each version, or section of a version, that no golden case "
            "exercises (none has a date of service in the version's period, or none asks "
            "for the section's service then). Exit status: 0 all passed, 1 a case failed "
            "(or, with --strict, a warning), 2 invalid policy files."
        ),
    )
    check.add_argument(
        "directory",
        nargs="?",
        default=None,
        metavar="DIR",
        help="the same as --policies DIR (kept for existing scripts)",
    )
    check.add_argument("--policies", metavar="DIR", help=_POLICIES_HELP)
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) when a version or section has no golden case, e.g. in CI",
    )
    check.set_defaults(run=_policy_check)

    register_review(commands)
    if with_service:
        _register_service_commands(commands)
    return parser


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        import medpolicy.engine  # noqa: F401 (loads the modules native.build describes)
        from medpolicy import native

        try:
            found = version("medpolicy")
        except PackageNotFoundError:
            found = "(not installed)"
        print(f"medpolicy {found} ({native.build()})")
        parser.exit()


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """The (sub)command's own parser that the command line reached, e.g. ``policy show``."""
    while True:
        action = next(
            (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None
        )
        name = getattr(args, action.dest, None) if action is not None else None
        if action is None or name not in action.choices:
            return parser
        parser = action.choices[name]


def _unrecognized(parser: argparse.ArgumentParser, unknown: list[str]) -> NoReturn:
    """Refuse options the (sub)command does not have with its usage, and a near match."""
    import difflib

    options = [o for a in parser._actions for o in a.option_strings]
    hints = []
    for given in unknown:
        close = difflib.get_close_matches(given.split("=", 1)[0], options, n=1, cutoff=0.6)
        if close:
            hints.append(f"did you mean {close[0]}?")
    message = "unrecognized arguments: " + " ".join(unknown)
    parser.error(message + (f" ({'; '.join(hints)})" if hints else ""))


def _register_service_commands(commands: Any) -> None:
    from medpolicy.service.cli import register

    register(commands)


def _evaluate(args: argparse.Namespace) -> int:
    from medpolicy.cli.evaluate import decide_stream

    if not args.quiet:
        _hint_when_typing(args.file, "requests", "examples/dli-relapsed-aml.json")
    stream = open_input(args.file)
    name = "standard input" if args.file == "-" else args.file
    try:
        return decide_stream(stream, name, as_text=args.format == "text", quiet=args.quiet)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _hint_when_typing(file: str, what: str, example: str) -> None:
    """Say that the command waits for typed input, so that one run without a file on a
    terminal does not look like a hang."""
    if file == "-" and sys.stdin.isatty():
        print(
            f"medpolicy: reading {what} from the terminal: paste them, then press Ctrl-D "
            f"(or give a file, e.g. {example})",
            file=sys.stderr,
        )


def _extract(args: argparse.Namespace) -> int:
    from medpolicy.cli.extract import extract_stream, input_name

    _hint_when_typing(args.file, "notes", "examples/notes.jsonl")
    stream = open_input(args.file)
    try:
        return extract_stream(stream, input_name(args.file))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _policy(policy_id: str, folder: str | None = None) -> Any:
    if folder:
        from medpolicy.policy.registry import Registry

        chosen = Path(folder)
        if (chosen / "policy.yaml").is_file():
            chosen = chosen.parent
        registry = Registry.from_directory(chosen)
    else:
        registry = default_engine().registry
    policy = registry.policy(policy_id)
    if policy is None:
        known = ", ".join(p.id for p in registry.policies)
        raise MedpolicyError(f"no policy {policy_id!r}; known policies: {known}")
    return policy


def _policy_show(args: argparse.Namespace) -> int:
    from medpolicy.policy.render import policy_to_dict, render_markdown

    policy = _policy(args.policy_id, args.policies)
    if args.format == "json":
        print(json.dumps(policy_to_dict(policy), indent=2, ensure_ascii=False))
        return 0
    sys.stdout.write(render_markdown(policy, args.version))
    return 0


def _policy_diff(args: argparse.Namespace) -> int:
    from medpolicy.policy.diff import diff_versions

    sys.stdout.write(diff_versions(_policy(args.policy_id, args.policies), args.old, args.new))
    return 0


def _policy_check(args: argparse.Namespace) -> int:
    from medpolicy.engine import Engine
    from medpolicy.golden import check_case, load_cases, unexercised
    from medpolicy.policy.registry import Registry, default_policies_dir

    if args.directory and args.policies and Path(args.directory) != Path(args.policies):
        raise MedpolicyError(
            f"two policy folders given, {args.directory!r} and --policies {args.policies!r}; "
            "give one"
        )
    chosen = args.policies or args.directory
    directory = Path(chosen) if chosen else default_policies_dir()
    if (directory / "policy.yaml").is_file():
        directory = directory.parent
    try:
        registry = Registry.from_directory(directory)
    except PolicyError as exc:
        print(f"medpolicy: invalid policy: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    engine = Engine(registry)
    passed = failed = warned = 0
    for policy in registry.policies:
        cases = list(load_cases(policy.directory))
        for case in cases:
            problems = check_case(case, engine)
            if problems:
                failed += 1
                print(f"FAIL {case.file}: {case.name}")
                for problem in problems:
                    print(f"     {problem}")
            else:
                passed += 1
        for gap in unexercised(policy, cases):
            warned += 1
            print(f"WARNING {gap}")
    versions = sum(len(p.versions) for p in registry.policies)
    warnings = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
    count = len(registry.policies)
    print(
        f"{count} polic{'y' if count == 1 else 'ies'} ({versions} versions) valid; "
        f"golden cases: {passed} passed, {failed} failed{warnings}"
    )
    return 1 if failed or (args.strict and warned) else 0
