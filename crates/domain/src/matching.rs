//! Suggestions of a company for an unmapped module organization (being written).
