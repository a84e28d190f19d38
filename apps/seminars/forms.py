import datetime as dt

from django import forms
from django.utils import timezone

from apps.papers.services import PaperUnavailable, paper_by_arxiv_id
from apps.seminars.models import Session, Talk
from apps.seminars.services.schedule import MAX_TERM_WEEKS

PICK_A_PAPER = "Pick a paper from the search, or type its arXiv id."


class ClaimForm(forms.Form):
    """A speaker's claim: the paper (a `paper` radio from the catalogue search, or a typed arXiv id) and a title."""

    arxiv_id = forms.CharField(
        label="or its arXiv id",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "2507.09331", "autocomplete": "off"}),
    )
    title = forms.CharField(label="Talk title", required=False, max_length=500, help_text="Empty: the paper's title.")

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("arxiv_id") or self.data.get("paper") or ""
        if not raw.strip():
            raise forms.ValidationError(PICK_A_PAPER)
        try:
            cleaned["paper_obj"] = paper_by_arxiv_id(raw)
        except PaperUnavailable as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


class PresentForm(forms.Form):
    """'I'll present this': the paper is known, the reader picks one of the free sessions."""

    session = forms.ModelChoiceField(
        queryset=Session.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Pick a session.",
            "invalid_choice": "That session is no longer free; pick another.",
        },
    )
    title = forms.CharField(label="Talk title", required=False, max_length=500, help_text="Empty: the paper's title.")

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda session: str(session)


class TalkForm(forms.ModelForm):
    slides_url = forms.URLField(label="Slides", required=False, assume_scheme="https", max_length=200)
    video_url = forms.URLField(label="Video", required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Talk
        fields = ["title", "abstract", "slides_url", "video_url"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 8})}


class TermForm(forms.Form):
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(min_value=1, max_value=MAX_TERM_WEEKS, initial=12)
    capacity = forms.IntegerField(min_value=1, required=False, help_text="Seats per session; empty: no limit.")


class SessionForm(forms.Form):
    """One session's time on the series' wall clock (the form shows and reads it in the series' zone)."""

    start = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    minutes = forms.IntegerField(label="Duration (minutes)", min_value=10, max_value=600)
    place = forms.CharField(required=False, max_length=200)
    capacity = forms.IntegerField(min_value=1, required=False, help_text="Empty: no limit.")

    def __init__(self, *args, session: Session, **kwargs):
        self.session = session
        zone = session.series.zone
        kwargs.setdefault(
            "initial",
            {
                "start": timezone.localtime(session.start, zone).replace(tzinfo=None),
                "minutes": int(session.duration.total_seconds() // 60),
                "place": session.place,
                "capacity": session.capacity,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["start"].help_text = f"In the series' time zone, {session.series.time_zone}."

    def clean_start(self):
        # Read on the series' clock, whatever zone the organizer's browser or profile is in.
        return self.cleaned_data["start"].replace(tzinfo=None).replace(tzinfo=self.session.series.zone)

    def clean_minutes(self):
        return dt.timedelta(minutes=self.cleaned_data["minutes"])

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start")
        others = Session.objects.filter(series=self.session.series, start=start).exclude(pk=self.session.pk)
        if start and others.exists():
            self.add_error("start", "Another session of this series starts then.")
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")])
    message = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="Sent to the speaker."
    )
