"""The curation panel's pages. Every view is behind apps.curation.permissions.editor_required."""
