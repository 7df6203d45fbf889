//! Vietnamese language and calendar kit (placeholder until implemented).
