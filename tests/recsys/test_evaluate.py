"""The harness's defaults and argument checks (the whole run is in test_end_to_end.py)."""

import dataclasses
import json

import pytest

from recsys.app import app_train_config
from recsys.baselines import BASELINES, EASE_LAMBDAS
from recsys.evaluate import DEFAULT_METHODS, EXAMPLE_BUDGET, default_epochs, expand_methods, main, plain
from recsys.objective import METHODS
from recsys.train import TrainConfig


def test_default_epochs_shrink_with_the_data_within_bounds():
    assert default_epochs(20_000) == TrainConfig.epochs  # small data: early stopping decides
    assert default_epochs(1_000_000) == 3  # the 2-core CPU target: tens of minutes
    assert default_epochs(50_000_000) == 3  # never fewer than three passes
    assert default_epochs(EXAMPLE_BUDGET // 5) == 5
    assert default_epochs(0) == TrainConfig.epochs


@pytest.mark.parametrize(
    "flag, value", [("--seeds", "0"), ("--epochs", "0"), ("--batch-size", "-1"), ("--uniform-negatives", "-5")]
)
def test_nonsense_numbers_are_refused_before_any_work(flag, value, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "--items",
                str(tmp_path / "missing.jsonl"),
                "--interactions",
                str(tmp_path / "missing.csv"),
                "--out",
                str(tmp_path / "report.json"),
                flag,
                value,
            ]
        )
    assert f"argument {flag}: must be at least" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def test_the_default_report_is_the_app_against_every_baseline_and_the_losses_are_opt_in():
    assert expand_methods("default") == list(DEFAULT_METHODS)
    assert set(DEFAULT_METHODS) == {"app", *BASELINES} - {"random"}  # random is a floor, not a baseline
    assert not set(DEFAULT_METHODS) & set(METHODS)
    assert expand_methods("default,logq,app") == [*DEFAULT_METHODS, "logq"]  # groups expand, repeats go
    assert expand_methods("two_tower,item_knn") == [*METHODS, "item_knn"]
    with pytest.raises(ValueError, match="unknown method\\(s\\) bm25.*a group: default, two_tower, all"):
        expand_methods("default,bm25")


def test_unknown_methods_are_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "--items",
                str(tmp_path / "missing.jsonl"),
                "--interactions",
                str(tmp_path / "missing.csv"),
                "--out",
                str(tmp_path / "report.json"),
                "--methods",
                "corrected_logq,mns_full_softmax,bm25",
            ]
        )
    err = capsys.readouterr().err
    assert "unknown method(s) mns_full_softmax, bm25" in err and "mns_corrected_logq" in err


def test_missing_input_files_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "--items",
                str(tmp_path / "missing.jsonl"),
                "--interactions",
                str(tmp_path / "missing.csv"),
                "--out",
                str(tmp_path / "report.json"),
            ]
        )
    assert f"--items: no such file: {tmp_path / 'missing.jsonl'}" in capsys.readouterr().err


GOOD_ITEMS = '{"item_id": "a", "embedding": [1, 0]}\n{"item_id": "b", "embedding": [0, 1]}\n'
GOOD_CSV = "user_id,item_id,timestamp,event\nu1,a,1700000000,view\nu1,b,2023-11-15T00:00:00,like\n"


@pytest.mark.parametrize(
    "items, interactions, message",
    [
        ('{"item_id": "a"}\n{"item_id": "b", oops}\n', GOOD_CSV, "items.jsonl:2: not JSON"),
        ('{"item_id": "a"}\n\n{"text": "no id"}\n', GOOD_CSV, "items.jsonl:3: every line needs an item_id"),
        ('{"item_id": "a"}\n{"item_id": "a"}\n', GOOD_CSV, "items.jsonl:2: item_id 'a' appears twice"),
        (
            '{"item_id": "a", "embedding": [1, 0]}\n{"item_id": "b", "embedding": [1]}\n',
            GOOD_CSV,
            "items.jsonl:2: an embedding of 1 numbers, line 1 has 2",
        ),
        ('{"item_id": "a", "released": "soon"}\n', GOOD_CSV, "items.jsonl:1: released 'soon' is neither"),
        (GOOD_ITEMS, "user,item_id,timestamp\nu1,a,1\n", "interactions.csv: the header lacks user_id"),
        (GOOD_ITEMS, GOOD_CSV + "u2,a,1700000001,clicked\n", "interactions.csv:4: unknown event 'clicked'"),
        (GOOD_ITEMS, GOOD_CSV + "u2,a,yesterday,view\n", "interactions.csv:4: timestamp 'yesterday' is neither"),
    ],
)
def test_malformed_input_is_reported_with_file_and_line(items, interactions, message, tmp_path, capsys):
    (tmp_path / "items.jsonl").write_text(items)
    (tmp_path / "interactions.csv").write_text(interactions)
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "--items",
                str(tmp_path / "items.jsonl"),
                "--interactions",
                str(tmp_path / "interactions.csv"),
                "--out",
                str(tmp_path / "report.json"),
                "--methods",
                "popularity",
            ]
        )
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def test_well_formed_tiny_input_runs(tmp_path, capsys):
    (tmp_path / "items.jsonl").write_text(GOOD_ITEMS)
    (tmp_path / "interactions.csv").write_text(GOOD_CSV + "u2,a,1700000100,view\nu2,b,1700000200,save\n")
    main(
        [
            "--items",
            str(tmp_path / "items.jsonl"),
            "--interactions",
            str(tmp_path / "interactions.csv"),
            "--split",
            "leave-one-out",
            "--out",
            str(tmp_path / "report.json"),
            "--methods",
            "popularity",
        ]
    )
    assert "| popularity |" in capsys.readouterr().out and (tmp_path / "report.json").exists()


def test_help_gives_every_option_its_meaning_and_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in (
        "--split",
        "--test-fraction",
        "--methods",
        "--seeds",
        "--epochs",
        "--batch-size",
        "--max-len",
        "--dim",
        "--max-readers",
        "--device",
        "--uniform-negatives",
        "--in-batch-negatives",
        "--cache-dir",
    ):
        assert option in text
    assert "(default: 0.2)" in text and "(default: temporal)" in text and "item_knn" in text and "app" in text


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.1"])
def test_test_fraction_must_be_a_share(value, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "--items",
                str(tmp_path / "i.jsonl"),
                "--interactions",
                str(tmp_path / "i.csv"),
                "--out",
                str(tmp_path / "report.json"),
                "--test-fraction",
                value,
            ]
        )
    assert "argument --test-fraction: must be between 0 and 1" in capsys.readouterr().err


def test_report_states_each_methods_configuration_and_the_test_fraction(tmp_path, capsys):
    (tmp_path / "items.jsonl").write_text("".join(f'{{"item_id": "p{i}"}}\n' for i in range(6)))
    rows = [f"u{u},p{(u + k) % 6},{k}" for u in range(8) for k in range(4)]
    (tmp_path / "interactions.csv").write_text("user_id,item_id,timestamp\n" + "\n".join(rows) + "\n")
    main(
        [
            "--items",
            str(tmp_path / "items.jsonl"),
            "--interactions",
            str(tmp_path / "interactions.csv"),
            "--split",
            "random",
            "--test-fraction",
            "0.5",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "report.json"),
            "--methods",
            "popularity,item_knn,ease,app",
        ]
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["test_fraction"] == 0.5 and set(report["configs"]) == {"popularity", "item_knn", "ease", "app"}
    assert report["configs"]["ease"]["lambda"] in EASE_LAMBDAS
    chosen = report["configs"]["app"].pop("neighbors_chosen")  # what the validation readers chose
    assert report["configs"]["app"] == plain(
        dataclasses.replace(
            app_train_config(),
            seed=None,
            progress=None,
            epochs=1,
            device="auto",
            validation="library",
            val_held_out=0.5,
        )
    )  # the validation readers hold out what the split holds out of the test readers
    assert {"neighbors_k", "neighbors_weight", "neighbors_scale"} <= set(chosen)
    assert "| ease | `{" in capsys.readouterr().out
