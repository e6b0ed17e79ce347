"""`moments text …`: train a text model on labelled comments, predict, evaluate, explain.

DATA, IN and OUT are JSONL, one comment a line: ``{"id", "text", "categories": [{"category",
"polarity"}]}`` (the schema of the SemEval-2014 restaurant files; any category names work).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from moments.cli.common import err, errors, out

if TYPE_CHECKING:
    from moments.text.model import Labels, TextModel

text_app = typer.Typer(
    help="Text models: which moments a comment mentions and how each went (train, predict, "
    "eval, explain).",
    no_args_is_help=True,
)

ModelArg = Annotated[Path, typer.Argument(help="A model file written by 'moments text train'.")]


@text_app.command("train")
def train(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="Labelled comments: JSONL (id, text, categories [{category, polarity}]) or "
            "CSV (id, text, moment, valence; a row per moment). Optional with --journey."
        ),
    ] = None,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Write the model here.")] = Path(
        "text-model.joblib"
    ),
    backend: Annotated[
        str | None,
        typer.Option(
            help="linear (default), journey (keywords and examples of --journey), or an "
            "installed extra: minilm, minilm-ft ('text'), mpnet-ft ('text-large')."
        ),
    ] = None,
    journey: Annotated[
        list[Path] | None,
        typer.Option(
            "--journey",
            "-j",
            help="Journey YAML: route comments to its moments by their keywords and examples "
            "(the 'journey' backend; DATA, when given, adds labelled examples).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same data + seed = same model).")] = 0,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A backend setting, NAME=VALUE (repeatable), e.g. -p epochs=3 -p "
            "linear_weight=0; values are read as JSON numbers/true/false, else as text.",
        ),
    ] = None,
) -> None:
    """Train a text model and write it to one file."""
    from moments.journey import load_journey
    from moments.text.corpus import labels_of, read_comments
    from moments.text.model import new_model, save_model
    from moments.text.router import JourneyRouter

    with errors():
        name = backend or ("journey" if journey else "linear")
        params = _params(param or [])
        if params and name == "journey":
            raise typer.BadParameter("the journey backend takes no --param", param_hint="--param")
        comments = read_comments(data, require_categories=name != "journey") if data else []
        start = time.perf_counter()
        model: TextModel
        if name == "journey":
            if not journey:
                raise typer.BadParameter("the journey backend needs --journey JOURNEY.yaml")
            model = JourneyRouter.from_journeys([load_journey(j) for j in journey])
        elif data is None:
            raise typer.BadParameter("give labelled comments (DATA.jsonl), or --journey")
        else:
            model = new_model(name, seed=seed, **params)
        _fit(model, [c.text for c in comments], labels_of(comments))
        seconds = time.perf_counter() - start
        save_model(model, out_file)
    out.print(
        f"trained {model.describe()} on {len(comments)} comments in {seconds:.1f} s: "
        f"{len(model.categories)} categories ({', '.join(model.categories[:8])}"
        f"{', …' if len(model.categories) > 8 else ''}); wrote {out_file}",
        highlight=False,
    )


def _fit(model: TextModel, texts: list[str], labels: Labels) -> None:
    """Fit, with a progress bar where the backend's training is long enough to follow."""
    steps = model.training_steps(len(texts))
    if not steps:
        model.fit(texts, labels)
        return
    with Progress(
        TextColumn("training {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(model.name, total=steps)
        model.on_step = lambda: bar.advance(task)
        try:
            model.fit(texts, labels)
        finally:
            model.on_step = None


def _params(pairs: list[str]) -> dict[str, Any]:
    """NAME=VALUE pairs as keyword arguments (JSON values where they parse, else text)."""
    from moments.errors import InputError
    from moments.text.model import read_params

    try:
        params = read_params(pairs)
    except InputError as e:
        raise typer.BadParameter(e.problems[0].what, param_hint="--param") from None
    if "seed" in params:
        raise typer.BadParameter("give the seed with --seed", param_hint="--param")
    return params


@text_app.command("predict")
def predict(
    model_file: ModelArg,
    data: Annotated[Path, typer.Argument(help="Comments (JSONL: id, text[, categories]).")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Write predictions here.")],
    given_categories: Annotated[
        bool,
        typer.Option(
            "--given-categories",
            help="Keep each line's categories and predict only their polarities.",
        ),
    ] = False,
) -> None:
    """Predict, per comment, the categories it mentions and their polarities (one line each,
    same id, with confidence and evidence). No category = no known moment."""
    from moments.text.corpus import read_comments, write_comments
    from moments.text.model import load_model

    with errors():
        model = load_model(model_file)
        comments = read_comments(data)
        texts = [c.text for c in comments]
        given = [c.category_names for c in comments] if given_categories else None
        found = model.predict(texts, given)
        rows = []
        for c, mentions in zip(comments, found, strict=True):
            row: dict[str, Any] = {
                "id": c.id,
                "text": c.text,
                "categories": [m.to_json() for m in mentions],
            }
            if not mentions:
                row["no_known_moment"] = True
            rows.append({**row, **{k: v for k, v in c.extra.items() if k not in row}})
        n = write_comments(rows, out_file)
    unknown = sum(1 for r in rows if r.get("no_known_moment"))
    out.print(
        f"wrote {n} predictions to {out_file}"
        + (f" ({unknown} mention no known moment)" if unknown else ""),
        highlight=False,
    )


@text_app.command("eval")
def evaluate(
    model_file: ModelArg,
    data: Annotated[Path, typer.Argument(help="Labelled comments (JSONL) the model did not see.")],
) -> None:
    """Precision, recall and F1 of the categories found, and polarity accuracy given the
    labelled categories (4-way, 3-way without conflict, binary positive/negative)."""
    from moments.text.corpus import read_comments
    from moments.text.evaluate import evaluate as run
    from moments.text.model import load_model

    with errors():
        model = load_model(model_file)
        ev = run(model, read_comments(data, require_categories=True))
    det = Table(title=f"Which moments: {ev.comments} comments, {model.describe()}")
    for col in ("category", "precision", "recall", "F1", "labelled", "predicted"):
        det.add_column(col, justify="left" if col == "category" else "right")
    for d in [*ev.detection, ev.micro]:
        det.add_row(
            d.category if d is not ev.micro else "[bold]micro[/]",
            f"{100 * d.precision:.1f}",
            f"{100 * d.recall:.1f}",
            f"{100 * d.f1:.1f}",
            str(d.support),
            str(d.predicted),
        )
    out.print(det)
    pol = Table(title="How it went: polarity given the labelled categories")
    for col in ("scored on", "accuracy", "correct", "pairs"):
        pol.add_column(col, justify="left" if col == "scored on" else "right")
    for k, (ok, n) in ev.polarity.items():
        pol.add_row(k, f"{100 * ok / n:.1f} %" if n else "–", str(ok), str(n))
    out.print(pol)
    labels = ["positive", "negative", "neutral", "conflict"]
    conf = Table(title="Polarity confusion (rows: labelled, columns: predicted)")
    conf.add_column("labelled")
    for p in labels:
        conf.add_column(p, justify="right")
    for g in labels:
        if any(k[0] == g for k in ev.confusion):
            conf.add_row(g, *[str(ev.confusion.get((g, p), 0)) for p in labels])
    out.print(conf)
    out.print(f"{ev.texts_per_second:,.0f} comments/s", highlight=False)


@text_app.command("explain")
def explain(
    model_file: ModelArg,
    comment: Annotated[str, typer.Argument(help="The comment to explain.")],
) -> None:
    """Which moments one comment mentions, how each went, and the words behind each verdict."""
    from moments.text.model import load_model

    with errors():
        model = load_model(model_file)
        mentions = model.predict([comment])[0]
        detail = model.explain(comment)
    if not mentions:
        out.print("mentions no known moment", highlight=False)
    t = Table(title=f"{model.describe()}: {comment[:80]}")
    for col in ("moment", "polarity", "confidence", "evidence"):
        t.add_column(col)
    for m in mentions:
        t.add_row(m.category, m.polarity, f"{m.confidence:.2f}", ", ".join(m.evidence))
    if mentions:
        out.print(t)
    if detail:
        d = Table(title="Every category the model knows")
        for col in ("category", "probability", "words for it", "polarity if mentioned", "words"):
            d.add_column(col)
        for r in detail["categories"]:
            d.add_row(
                r["category"],
                f"{r['probability']:.2f}",
                ", ".join(r["words"]),
                f"{r['polarity']} ({r['polarity_confidence']:.2f})",
                ", ".join(r["polarity_words"]),
            )
        out.print(d)
