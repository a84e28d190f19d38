from apps.recommendations.services.interactions import (
    NOT_A_STATE,
    interaction_record,
    interaction_toggle,
    interactions_delete,
)

__all__ = ["NOT_A_STATE", "interaction_record", "interaction_toggle", "interactions_delete"]
