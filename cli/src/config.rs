//! Where the CLI keeps its tokens: `docket/config.json` in the user's config
//! directory (`$XDG_CONFIG_HOME`, `~/.config`, …), one entry per server, so a
//! token minted against a local `wrangler dev` is not sent to production.
//! `DOCKET_TOKEN` overrides the stored token; `DOCKET_CONFIG` the file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};

/// One server's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub token: String,
    /// The webhook secret minted with the token (the server's current one is
    /// asked for when needed).
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub servers: BTreeMap<String, Credentials>,
}

/// The config file's path.
pub fn path() -> CliResult<PathBuf> {
    if let Some(explicit) = std::env::var_os("DOCKET_CONFIG") {
        return Ok(PathBuf::from(explicit));
    }
    dirs::config_dir()
        .map(|d| d.join("docket").join("config.json"))
        .ok_or_else(|| {
            CliError::Usage(
                "no config directory on this system: set DOCKET_CONFIG or DOCKET_TOKEN".into(),
            )
        })
}

impl Config {
    pub fn load() -> CliResult<Config> {
        let path = path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!("{} is not a docket config ({e})", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(CliError::Usage(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes the file (readable by the user only, where that means something).
    pub fn save(&self) -> CliResult<PathBuf> {
        let path = path()?;
        let fail =
            |e: std::io::Error| CliError::Usage(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let text =
            serde_json::to_string_pretty(self).map_err(|e| CliError::Usage(e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(fail)?;
        }
        Ok(path)
    }

    /// Normalises a server URL into the key its credentials are kept under.
    pub fn key(server: &str) -> String {
        server.trim_end_matches('/').to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_per_server() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/config.json");
        // SAFETY: this is the only test in the crate that touches the variable.
        unsafe { std::env::set_var("DOCKET_CONFIG", &file) };
        assert!(Config::load().unwrap().servers.is_empty());
        let mut config = Config::default();
        config.servers.insert(
            Config::key("http://127.0.0.1:8787/"),
            Credentials {
                token: "dkt_x".into(),
                webhook_secret: Some("whsec_y".into()),
            },
        );
        assert_eq!(config.save().unwrap(), file);
        let again = Config::load().unwrap();
        assert_eq!(again.servers["http://127.0.0.1:8787"].token, "dkt_x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&file, "not json").unwrap();
        assert!(matches!(Config::load(), Err(CliError::Usage(_))));
    }
}
