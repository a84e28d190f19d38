from apps.recommendations.services.interactions import NOT_A_STATE, interaction_record, interaction_toggle

__all__ = ["NOT_A_STATE", "interaction_record", "interaction_toggle"]
