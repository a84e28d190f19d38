"""The harness's defaults and argument checks (the whole run is in test_end_to_end.py)."""
import pytest

from recsys.evaluate import EXAMPLE_BUDGET, default_epochs, main
from recsys.train import TrainConfig


def test_default_epochs_shrink_with_the_data_within_bounds():
    assert default_epochs(20_000) == TrainConfig.epochs          # small data: early stopping decides
    assert default_epochs(1_000_000) == 3                         # the 2-core CPU target: tens of minutes
    assert default_epochs(50_000_000) == 3                        # never fewer than three passes
    assert default_epochs(EXAMPLE_BUDGET // 5) == 5
    assert default_epochs(0) == TrainConfig.epochs


@pytest.mark.parametrize("flag, value", [("--seeds", "0"), ("--epochs", "0"), ("--batch-size", "-1"), ("--uniform-negatives", "-5")])
def test_nonsense_numbers_are_refused_before_any_work(flag, value, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--items", str(tmp_path / "missing.jsonl"), "--interactions", str(tmp_path / "missing.csv"),
              "--out", str(tmp_path / "report.json"), flag, value])
    assert f"argument {flag}: must be at least" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()
