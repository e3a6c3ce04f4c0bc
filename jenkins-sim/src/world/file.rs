//! World files: a world written down in TOML (or JSON), as `worlds/recorded.toml` is.

use std::path::Path;

use super::World;

/// Why a world file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorldFileError {
    /// The file could not be read.
    #[error("WORLD_FILE_UNREADABLE: {path}: {source}")]
    Unreadable {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or does not describe a world.
    #[error("WORLD_FILE_INVALID: {path}: {message}")]
    Invalid {
        /// The path.
        path: String,
        /// What is wrong, with the line where the parser knows it.
        message: String,
    },
}

impl WorldFileError {
    /// Stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            WorldFileError::Unreadable { .. } => "WORLD_FILE_UNREADABLE",
            WorldFileError::Invalid { .. } => "WORLD_FILE_INVALID",
        }
    }
}

impl World {
    /// Parse a world from TOML text.
    pub fn from_toml(text: &str) -> Result<World, String> {
        let mut w: World = toml::from_str(text).map_err(|e| e.to_string())?;
        w.normalize();
        Ok(w)
    }

    /// Load a world file (`.toml`, or `.json`).
    pub fn load(path: &Path) -> Result<World, WorldFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| WorldFileError::Unreadable {
            path: shown.clone(),
            source,
        })?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str::<World>(&text)
                .map_err(|e| e.to_string())
                .map(|mut w| {
                    w.normalize();
                    w
                })
        } else {
            World::from_toml(&text)
        };
        parsed.map_err(|message| WorldFileError::Invalid {
            path: shown,
            message,
        })
    }

    /// The world recorded from a real Jenkins 2.516.2 (`worlds/recorded.toml`, embedded).
    pub fn recorded() -> World {
        World::from_toml(include_str!("../../worlds/recorded.toml"))
            .unwrap_or_else(|e| panic!("the embedded recorded world is invalid: {e}"))
    }
}
