from django import forms

from apps.search import queries
from apps.search.selectors import HYBRID, MODES, category_choices


class SearchForm(forms.Form):
    # maxlength on the input limits the client; clean_q limits the server, whatever the client sent.
    q = forms.CharField(
        label="Search papers",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "maxlength": queries.MAX_QUERY_LENGTH, "autocomplete": "off"}),
    )
    mode = forms.ChoiceField(label="Match", choices=MODES, required=False, initial=HYBRID, widget=forms.RadioSelect)
    date_from = forms.DateField(label="Announced from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label="Category", required=False)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("mode"):
            # A query from the header box or a link names no mode: show the one it runs in as chosen.
            data = data.copy()
            data["mode"] = HYBRID
        super().__init__(data, *args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [(c, c) for c in category_choices()]

    def clean_q(self) -> str:
        raw = self.cleaned_data["q"]
        if len(raw) > queries.MAX_QUERY_LENGTH:
            raise forms.ValidationError(queries.QUERY_TOO_LONG)
        return queries.clean_text(raw)

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or HYBRID

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(queries.BAD_DATE_RANGE)
        return cleaned

    def filters(self) -> queries.SearchFilters:
        data = self.cleaned_data
        return queries.SearchFilters(
            date_from=data.get("date_from"), date_to=data.get("date_to"), category=data.get("category") or ""
        )


class LikeTextForm(forms.Form):
    text = forms.CharField(
        label="Find papers like this text",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": queries.MAX_TEXT_LENGTH}),
        help_text="Paste an abstract or a paragraph; papers nearest in meaning come back.",
    )

    def clean_text(self) -> str:
        raw = self.cleaned_data["text"]
        if len(raw) > queries.MAX_TEXT_LENGTH:
            raise forms.ValidationError(queries.TEXT_TOO_LONG)
        text = queries.clean_text(raw)
        if len(text.split()) < queries.MIN_TEXT_WORDS:
            raise forms.ValidationError(queries.TEXT_TOO_SHORT)
        return text
