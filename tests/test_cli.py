import json
from pathlib import Path

import pandas as pd
import pytest

from dprk_stance.cli import main
from dprk_stance.stances import LABELS, prob_column

TEXT = (
    "Enterprises should be given the right to draw up their own plans and keep part of "
    "their earnings."
)


def test_predict_prints_stance_and_probabilities(trained, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["predict", TEXT, "--model", model]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] in LABELS and all(label in out for label in LABELS)
    assert main(["predict", TEXT, "--model", model, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert abs(sum(row["probabilities"].values()) - 1) < 1e-3
    assert set(row["probabilities"]) == set(LABELS) and isinstance(row["no_stance"], bool)


def test_predict_and_label_give_identical_probabilities(trained, tmp_path, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["predict", TEXT, "--model", model, "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)["probabilities"]
    doc = tmp_path / "one.txt"
    doc.write_text(TEXT + "\n")
    out = tmp_path / "one.csv"
    assert main(["label", str(doc), "--model", model, "--out", str(out), "--quiet"]) == 0
    row = pd.read_csv(out).iloc[0]
    for label in LABELS:
        assert row[prob_column(label)] == pytest.approx(predicted[label], abs=1e-4)


def test_evaluate_command_on_a_gold_file(trained, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "id,doc_id,text,label\n"
        "1,a,Above all trade must reach many countries and regions.,pro-diversification\n"
        "2,a,The plant fulfilled its quarterly plan by eight per cent.,none\n"
        "3,b,Imports must be replaced by our own domestic production.,conservative\n"
        "4,b,a row with,too many,fields\n"
    )
    params = tmp_path / "params.yaml"
    import yaml

    params.write_text(yaml.safe_dump(trained.to_dict()))
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    code = main(
        [
            "evaluate",
            str(gold),
            "--model",
            model,
            "--params",
            str(params),
            "--out",
            str(tmp_path / "ev"),
        ]
    )
    assert code == 1  # a rejected row: the figures cover fewer rows than the file holds
    captured = capsys.readouterr()
    assert "macro-F1" in captured.out and "line 5" in captured.err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["passages"] == 3 and metrics["no_stance_passages"] == 1
    assert len(pd.read_csv(tmp_path / "ev" / "predictions.csv")) == 3


def test_evaluate_params_come_from_the_models_project_outside_it(tmp_path, monkeypatch):
    from dprk_stance.cli import _evaluation_params

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "models" / "m").mkdir(parents=True)
    (project / "params.yaml").write_text("seed: 1\n")
    (elsewhere / "m").mkdir(parents=True)
    (elsewhere / "params.yaml").write_text("seed: 3\n")  # not a project: no dvc.yaml
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="pass --params"):
        _evaluation_params(None, Path("project/models/m"))  # no dvc.yaml yet
    (project / "dvc.yaml").write_text("stages: {}\n")
    found = _evaluation_params(None, Path("project/models/m"))
    assert found.resolve() == (project / "params.yaml").resolve()
    assert _evaluation_params("given.yaml", Path("project/models/m")) == Path("given.yaml")
    with pytest.raises(ValueError, match="pass --params"):
        _evaluation_params(None, Path("elsewhere/m"))
    (tmp_path / "params.yaml").write_text("seed: 2\n")  # ./params.yaml comes first
    assert _evaluation_params(None, Path("elsewhere/m")) == Path("params.yaml")
    assert _evaluation_params(None, Path("project/models/m")) == Path("params.yaml")


def test_evaluate_notes_a_class_predicted_but_never_gold(trained, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "id,doc_id,text,label\n"
        "1,a,Above all trade must reach many countries and regions.,pro-diversification\n"
        "2,a,The plant fulfilled its quarterly plan by eight per cent.,conservative\n"
        "3,b,Imports must be replaced by our own domestic production.,conservative\n"
    )
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    params = tmp_path / "params.yaml"
    import yaml

    params.write_text(yaml.safe_dump(trained.to_dict()))
    args = ["evaluate", str(gold), "--model", model, "--params", str(params)]
    assert main([*args, "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    predicted = pd.read_csv(tmp_path / "ev" / "predictions.csv")["predicted"]
    assert ("no gold passage is 'none'" in out) == (predicted == "none").any()
    assert model in out  # the table names the model scored


def test_evaluate_says_how_to_replace_a_params_file_it_found_itself(
    trained, tmp_path, monkeypatch, capsys
):
    (tmp_path / "params.yaml").write_text("seed: [1]\n")  # some other project's file
    gold = tmp_path / "gold.csv"
    gold.write_text("id,text,label\n1,Trade must reach many countries.,pro-diversification\n")
    monkeypatch.chdir(tmp_path)
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["evaluate", str(gold), "--model", model]) == 2
    assert "pass --params FILE" in capsys.readouterr().err


def test_default_model_comes_from_the_leaderboard(tmp_path, monkeypatch):
    from dprk_stance.cli import resolve_model

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "leaderboard.json").write_text(
        json.dumps({"default_model": {"model": "setfit"}})
    )
    assert resolve_model(None, tmp_path / "reports") == str(Path("models") / "setfit")
    assert resolve_model("models/x", tmp_path / "reports") == "models/x"
    with pytest.raises(ValueError, match="no --model"):
        resolve_model(None, tmp_path / "nowhere")
    # run from outside the project: say so, not "run dvc repro"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="run from the project root, or pass --model"):
        resolve_model(None, Path("reports-absent"))


def test_predict_errors_are_clear(tmp_path, capsys):
    assert main(["predict", TEXT, "--model", str(tmp_path)]) == 2
    assert "not a dprk-stance model directory" in capsys.readouterr().err


def test_label_then_compare_two_models(trained, tmp_path, capsys):
    doc = tmp_path / "issue.txt"
    doc.write_text(
        TEXT + "\n\nTrade must reach many countries and regions beyond one partner."
        "\n\nThe unified guidance of the state must be restored everywhere.\n"
    )
    outs = []
    for name in ("tfidf-logreg", "keywords"):
        out = tmp_path / f"{name}.csv"
        assert (
            main(
                [
                    "label",
                    str(doc),
                    "--model",
                    str(Path(trained.paths.models_dir) / name),
                    "--out",
                    str(out),
                    "--quiet",
                ]
            )
            == 0
        )
        outs.append(str(out))
    capsys.readouterr()
    assert main(["compare", *outs, "--out", str(tmp_path / "cmp.json")]) == 0
    text = capsys.readouterr().out
    assert "Cohen's kappa" in text and "matched passages: 3" in text
    assert json.loads((tmp_path / "cmp.json").read_text())["matched_passages"] == 3


def test_label_rejects_unknown_output_format(trained, tmp_path, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["label", "-", "--model", model, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "format by extension" in capsys.readouterr().err


# -- issue 10 -------------------------------------------------------------------------------


def test_predict_on_text_without_words_is_a_clear_error(trained, capsys):
    """Kind 9: `predict "2019" --json` ended in a traceback; without --json it printed
    nothing and exited 0."""
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["predict", "2019", "--model", model, "--json"]) == 2
    captured = capsys.readouterr()
    assert "no words" in json.loads(captured.out)["error"]
    assert main(["predict", "2019", "--model", model]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing to classify" in captured.err
    # --json stays valid JSON for other errors too.
    assert main(["predict", TEXT, "--model", model, "--json", "--threshold", "5"]) == 2
    assert "between 0 and 1" in json.loads(capsys.readouterr().out)["error"]


def test_bad_options_are_one_line_errors(trained, tmp_path, capsys):
    """Kind 12: --int8 with a non-transformer model and --threshold 5 ended in tracebacks
    or were accepted; now one line each, exit 2, nothing written."""
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    doc = tmp_path / "a.txt"
    doc.write_text(TEXT)
    for extra, expected in ((["--int8"], "--int8"), (["--threshold", "5"], "between 0 and 1")):
        out = tmp_path / "o.csv"
        argv = ["label", str(doc), "--model", model, "--out", str(out), "--quiet", *extra]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not out.exists()


def test_interrupted_label_says_how_to_resume(trained, tmp_path, capsys, monkeypatch):
    """Kind 12: Ctrl-C printed a traceback; now one line and nothing half-written."""
    from dprk_stance import label as label_module

    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    doc = tmp_path / "a.txt"
    doc.write_text(TEXT)
    out = tmp_path / "o.csv"

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(label_module, "_score_and_write", interrupt)
    argv = ["label", str(doc), "--model", model, "--out", str(out), "--quiet"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == "dprk-stance label: interrupted — rerun with --resume"
    assert not out.exists()
    monkeypatch.undo()
    assert main([*argv, "--resume"]) == 0 and out.exists()


def test_unread_files_are_named_on_the_console_and_in_the_report(trained, tmp_path, capsys):
    """Kind 6: unsupported files were ignored without a word and the exit status was 0."""
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.rtf").write_text("{\\rtf1\\ansi " + TEXT + "}")
    (folder / "b.wpd").write_bytes(b"word perfect")
    (folder / ".notes.txt").write_text("hidden")
    out = tmp_path / "o.csv"
    assert main(["label", str(folder), "--model", model, "--out", str(out), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "b.wpd" in captured.err and "unsupported" in captured.err
    assert ".notes.txt: hidden" in captured.out
    report = json.loads((tmp_path / "o.run.json").read_text())
    assert any("b.wpd" in f for f in report["failures"])
    assert any(".notes.txt" in f for f in report["ignored"])
    assert report["documents"] == 1


def test_compare_runs_that_segmented_differently(trained, tmp_path, capsys):
    """Kind 8: a transformer (token windows) against tf-idf (one passage) matched nothing."""
    doc = tmp_path / "long.txt"
    doc.write_text(" ".join([TEXT] * 12))  # longer than the tiny transformer's window
    outs = []
    for name, suffix in (("transformer", ".csv"), ("tfidf-logreg", ".jsonl")):
        out = tmp_path / f"{name}{suffix}"
        model = str(Path(trained.paths.models_dir) / name)
        assert main(["label", str(doc), "--model", model, "--out", str(out), "--quiet"]) == 0
        outs.append(str(out))
    capsys.readouterr()
    assert main(["compare", *outs, "--out", str(tmp_path / "cmp.json")]) == 0
    result = json.loads((tmp_path / "cmp.json").read_text())
    assert result["alignment"]["method"] == "character-span overlap"
    assert result["only_in_a"] == result["only_in_b"] == 0
    assert 0.0 <= result["agreement"] <= 1.0
    assert "aligned by: character-span overlap" in capsys.readouterr().out
