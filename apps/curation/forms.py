import datetime as dt
import re

from django import forms
from django.utils import timezone

from apps.curation.selectors.queue import (
    RELEVANCE_SORT,
    SCORE_SORT,
    STATUSES,
    UNDECIDED,
    categories,
    gate_threshold,
)
from apps.digests.models import Decision
from apps.digests.services.picks import NOTE_MAX_LENGTH
from apps.papers.models import Paper

ARXIV_ID = re.compile(
    r"(?:arxiv:|https?://arxiv\.org/(?:abs|pdf)/)?(?P<id>[a-z\-.]*/?\d{4}\.?\d{3,5})(?:v\d+)?(?:\.pdf)?/?$", re.I
)
NOT_AN_ARXIV_ID = "Enter an arXiv id (2406.01234) or its arXiv link."
NOT_IN_CATALOGUE = "{id} is not in the catalogue. Ingest it first (Operations: backfill), then pick it."
BACKFILL_MAX_DAYS = 366
SELECT_FIRST = "Select at least one paper first."
VERDICTS = {"accept": Decision.Verdict.ACCEPT, "reject": Decision.Verdict.REJECT, UNDECIDED: None}


class QueueFilterForm(forms.Form):
    """The review queue's filters, from the query string; anything invalid falls back to no filter."""

    q = forms.CharField(label="Text", required=False, max_length=200)
    category = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "all")] + [(s, s if s == UNDECIDED else Decision.Verdict(s).label) for s in STATUSES],
    )
    sort = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "all")] + [(c, c) for c in categories()]
        # The classifier's probability is worth sorting by only where the classifier is the gate.
        relevance = [(RELEVANCE_SORT, "relevance")] if gate_threshold() is not None else []
        self.fields["sort"].choices = [
            ("newest", "newest"),
            ("likes", "most liked"),
            ("saves", "most saved"),
            (SCORE_SORT, "model score"),
            *relevance,
            ("title", "title"),
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class DecideForm(forms.Form):
    """A verdict on the ticked papers, or on every paper the page listed ("all on this page").

    The page lists its papers in `on_page`, so the box works without JavaScript (nothing can tick the
    rows then) and means the papers the editor saw, not whatever the filters match by the time they
    submit. With JavaScript the box ticks the rows as well (static/js/select_all.js).
    """

    paper = forms.ModelMultipleChoiceField(queryset=Paper.objects.none(), required=False)
    all_on_page = forms.BooleanField(required=False)
    on_page = forms.ModelMultipleChoiceField(queryset=Paper.objects.none(), required=False)
    verdict = forms.ChoiceField(choices=[(key, key) for key in VERDICTS])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paper"].queryset = self.fields["on_page"].queryset = Paper.objects.all()

    def clean(self):
        data = super().clean()
        papers = data.get("on_page") if data.get("all_on_page") else data.get("paper")
        if not papers and not self.errors:
            raise forms.ValidationError(SELECT_FIRST, code="required")
        data["papers"] = list(papers or [])
        return data

    @property
    def chosen_verdict(self) -> str | None:
        return VERDICTS[self.cleaned_data["verdict"]]


class PickForm(forms.Form):
    arxiv_id = forms.CharField(label="arXiv id or link", max_length=200)
    note = forms.CharField(
        label="Editors' note (Markdown)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_arxiv_id(self) -> Paper:
        match = ARXIV_ID.match(self.cleaned_data["arxiv_id"].strip())
        if not match:
            raise forms.ValidationError(NOT_AN_ARXIV_ID)
        paper = Paper.objects.filter(arxiv_id__iexact=match["id"]).first()
        if paper is None:
            raise forms.ValidationError(NOT_IN_CATALOGUE.format(id=match["id"]))
        return paper


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Editors' note (Markdown)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MoveForm(forms.Form):
    direction = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class PreviewForm(forms.Form):
    reader = forms.EmailField(label="Reader's email", required=False)


class BackfillForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                raise forms.ValidationError("The window is empty: “From” must be on or before “To”.")
            if until > timezone.now().date():
                raise forms.ValidationError("“To” is in the future.")
            if (until - since).days > BACKFILL_MAX_DAYS:
                raise forms.ValidationError(
                    f"Backfill at most {BACKFILL_MAX_DAYS} days at a time (arXiv asks for gentle use)."
                )
        return data

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        utc = dt.UTC
        since = dt.datetime.combine(self.cleaned_data["since"], dt.time.min, tzinfo=utc)
        until = dt.datetime.combine(self.cleaned_data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=utc)
        return since, min(until, timezone.now())
