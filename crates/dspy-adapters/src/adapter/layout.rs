//! What the three adapters share: the field list, the task description, demo ordering and
//! conversation-history turns.
