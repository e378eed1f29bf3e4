"""The command line accepts its common output flags before the command too, and exits 1 on bad usage."""

from __future__ import annotations

import pytest

from reconciler.cli import DEFAULT_STATE, main, parse_arguments


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-color", "-v", "plan"],
        ["plan", "--no-color", "--verbose"],
        ["--verbose", "plan", "--no-color"],
    ],
)
def test_no_color_and_verbose_before_or_after_the_command(argv: list[str]) -> None:
    args = parse_arguments(argv)
    assert (args.command, args.no_color, args.verbose) == ("plan", True, True)


def test_flags_not_given_keep_their_defaults() -> None:
    args = parse_arguments(["drift"])
    assert (args.no_color, args.verbose, args.state, args.format) == (False, False, DEFAULT_STATE, "text")


def test_validate_accepts_the_state_flag(tmp_path) -> None:
    args = parse_arguments(["validate", "--state", str(tmp_path / "s.json")])
    assert args.command == "validate" and args.state == str(tmp_path / "s.json")


def test_bad_usage_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--no-such-flag"])
    assert exited.value.code == 1
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err
