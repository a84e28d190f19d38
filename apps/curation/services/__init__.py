"""The editors' actions. Each writes through the owning app's services and leaves one audit row."""
