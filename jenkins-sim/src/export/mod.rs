//! Stapler's exported-bean model (placeholder until the export engine lands).
