from django import forms

from apps.search.queries import SearchFilters
from apps.search.selectors import category_choices


class ForYouForm(forms.Form):
    """The window of the archive the "For you" page ranks: since a date, in a category, or all of it."""

    since = forms.DateField(label="Announced since", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label="Category", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [(c, c) for c in category_choices()]

    def filters(self) -> SearchFilters:
        if not self.is_bound or not self.is_valid():
            return SearchFilters()
        return SearchFilters(date_from=self.cleaned_data["since"], category=self.cleaned_data["category"] or "")
