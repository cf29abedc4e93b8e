//! What each command does. Only tokens (or their JSON) go to stdout; messages go to stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use engine::Vars;
use presets::ConfigFile;

use crate::cli::{Cli, Command, LoginArgs};
use crate::error::{EXIT_OK, Error, Result};
use crate::keeper::{Keeper, Want, now_ms};
use crate::profile::{PROFILE_FORMAT_VERSION, Profile, Tokens, check_name};
use crate::store::{self, Store};

/// Runs one parsed command; returns the exit code on success (`exec` passes its child's on).
pub fn run(cli: Cli) -> Result<i32> {
    let store = store::open(cli.store.as_deref())?;
    let keeper = Keeper::new(store.as_ref(), cli.lock_timeout);
    match cli.command {
        Command::Import {
            file,
            name,
            replace,
        } => import(
            store.as_ref(),
            &file,
            name.as_deref(),
            replace,
            cli.lock_timeout,
        ),
        Command::Login(args) => login(&keeper, args),
        Command::Token {
            name,
            min_ttl,
            json,
        } => {
            check_name(&name)?;
            let tokens = keeper.token(
                &name,
                Want {
                    min_ttl,
                    force: false,
                },
            )?;
            if json {
                print_stdout(&token_json(&tokens));
            } else {
                print_stdout(access_token(&tokens));
            }
            Ok(EXIT_OK)
        }
        Command::Header { name, min_ttl } => {
            check_name(&name)?;
            let tokens = keeper.token(
                &name,
                Want {
                    min_ttl,
                    force: false,
                },
            )?;
            print_stdout(&format!("Authorization: Bearer {}", access_token(&tokens)));
            Ok(EXIT_OK)
        }
        Command::Exec {
            name,
            variable,
            min_ttl,
            command,
        } => {
            check_name(&name)?;
            exec(&keeper, &name, &variable, min_ttl, &command)
        }
        Command::List => {
            let names = store.list()?;
            if names.is_empty() {
                eprintln!(
                    "No profiles in {} yet: `otw import FILE` or `otw login NAME --preset ID …` adds one.",
                    store.describe()
                );
            }
            let mut text = String::new();
            for name in names {
                text.push_str(&name);
                text.push('\n');
            }
            write_stdout(&text);
            Ok(EXIT_OK)
        }
        Command::Show { name } => {
            check_name(&name)?;
            let profile = load(store.as_ref(), &name)?;
            write_stdout(&describe(&name, store.as_ref(), &profile));
            Ok(EXIT_OK)
        }
        Command::Refresh { name, force } => {
            check_name(&name)?;
            let before = load(store.as_ref(), &name)?.tokens.generation;
            let tokens = keeper.token(
                &name,
                Want {
                    min_ttl: None,
                    force,
                },
            )?;
            let what = if tokens.generation == before {
                "still fresh, not refreshed (use --force to refresh anyway)"
            } else {
                "refreshed"
            };
            eprintln!("Profile `{name}`: {what}; {}.", expiry_words(&tokens));
            Ok(EXIT_OK)
        }
        Command::Forget { name } => {
            check_name(&name)?;
            let mut guard = store.lock(&name, cli.lock_timeout)?;
            if guard.delete()? {
                eprintln!(
                    "Profile `{name}` and its tokens are deleted from {}.",
                    store.describe()
                );
                Ok(EXIT_OK)
            } else {
                Err(Error::NotFound {
                    name,
                    store: store.describe(),
                })
            }
        }
    }
}

fn load(store: &dyn Store, name: &str) -> Result<Profile> {
    store.load(name)?.ok_or_else(|| Error::NotFound {
        name: name.to_owned(),
        store: store.describe(),
    })
}

fn access_token(tokens: &Tokens) -> &str {
    tokens.access_token.as_deref().unwrap_or_default()
}

/// Writes `text` and a newline to stdout; a closed pipe (`otw token | head -c0`) is not an error.
fn print_stdout(text: &str) {
    write_stdout(&format!("{text}\n"));
}

fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn token_json(tokens: &Tokens) -> String {
    let now = now_ms();
    serde_json::json!({
        "access_token": tokens.access_token,
        "token_type": tokens.token_type,
        "expires_at": tokens.expires_at_ms.map(|ms| ms / 1000),
        "expires_in": tokens.seconds_left(now),
        "scope": tokens.scope,
    })
    .to_string()
}

fn expiry_words(tokens: &Tokens) -> String {
    match tokens.seconds_left(now_ms()) {
        Some(0) => "the access token has expired".to_owned(),
        Some(seconds) => format!("the access token expires in {seconds} s"),
        None => "the service gave no expiry for the access token".to_owned(),
    }
}

/// Reads a configuration the wizard exported. The wizard exports settings still being typed;
/// a script needs them complete, so their problems are refused here, each naming its field.
fn read_config(file: &Path) -> Result<ConfigFile> {
    let failed = |detail: String| Error::Import {
        file: file.to_owned(),
        detail,
    };
    let text = std::fs::read_to_string(file).map_err(|error| failed(error.to_string()))?;
    let config = ConfigFile::from_json(&text).map_err(|error| failed(error.to_string()))?;
    let problems = config.settings_problems();
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(failed(format!(
            "the settings are not complete: {}; finish them in the wizard and export again",
            listed.join("; ")
        )));
    }
    Ok(config)
}

/// `otw import`.
fn import(
    store: &dyn Store,
    file: &Path,
    name: Option<&str>,
    replace: bool,
    lock_wait: std::time::Duration,
) -> Result<i32> {
    let config = read_config(file)?;
    let name = match name {
        Some(name) => name.to_owned(),
        None => config.preset_id.clone().unwrap_or_else(|| {
            file.file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default()
                .to_owned()
        }),
    };
    check_name(&name)?;
    let mut values = config.values.clone();
    let refresh_token = values.remove("refresh_token").filter(|t| !t.is_empty());
    let access_token = values.remove("token").filter(|t| !t.is_empty());
    // The file does not say when its access token expires: with a refresh token, the first
    // `otw token` refreshes rather than hand out a token that may be dead.
    let tokens = Tokens {
        access_token: if refresh_token.is_some() {
            None
        } else {
            access_token
        },
        refresh_token,
        ..Tokens::default()
    };
    let has_tokens = tokens.refresh_token.is_some() || tokens.access_token.is_some();
    let profile = Profile {
        format_version: PROFILE_FORMAT_VERSION,
        preset_id: config.preset_id.clone(),
        settings: config.settings,
        values,
        tokens,
    };
    save_new(store, &name, profile, replace, lock_wait)?;
    eprintln!("Imported profile `{name}` into {}.", store.describe());
    if has_tokens {
        eprintln!("`otw token {name}` prints its access token.");
    } else {
        eprintln!(
            "The file holds no tokens (export it with secrets to include them); run `otw login {name}` to authorize."
        );
    }
    Ok(EXIT_OK)
}

/// Stores a new or replacing profile under the lock; a damaged stored profile is never
/// overwritten (the read under the lock fails first).
fn save_new(
    store: &dyn Store,
    name: &str,
    mut profile: Profile,
    replace: bool,
    wait: std::time::Duration,
) -> Result<()> {
    let mut guard = store.lock(name, wait)?;
    let existing = guard.load()?;
    if existing.is_some() && !replace {
        return Err(Error::Exists {
            name: name.to_owned(),
            store: store.describe(),
        });
    }
    // Keep counting generations, so a process waiting on the lock sees the change.
    profile.tokens.generation = existing.map_or(1, |old| old.tokens.generation + 1);
    guard.save(&profile)
}

/// `otw login`.
fn login(keeper: &Keeper<'_>, args: LoginArgs) -> Result<i32> {
    check_name(&args.name)?;
    let store = keeper.store();
    let existing = store.load(&args.name)?;
    let (preset_id, settings, mut values) = match (&args.preset, &args.config, &existing) {
        (Some(id), _, _) => {
            let preset = presets::by_id(id).ok_or_else(|| {
                let known: Vec<&str> = presets::all().iter().map(|p| p.id.as_str()).collect();
                Error::Usage(format!(
                    "there is no preset `{id}`; the presets are: {}",
                    known.join(", ")
                ))
            })?;
            (
                Some(preset.id.clone()),
                preset.settings.clone(),
                Default::default(),
            )
        }
        (None, Some(file), _) => {
            let config = read_config(file)?;
            let mut values = config.values;
            values.remove("token");
            values.remove("refresh_token");
            (config.preset_id, config.settings, values)
        }
        (None, None, Some(profile)) => (
            profile.preset_id.clone(),
            profile.settings.clone(),
            profile.values.clone(),
        ),
        (None, None, None) => {
            return Err(Error::Usage(format!(
                "profile `{}` does not exist yet: name its service with --preset ID (or --config FILE for custom settings)",
                args.name
            )));
        }
    };
    let new_settings = args.preset.is_some() || args.config.is_some();
    if existing.is_some() && new_settings && !args.replace {
        return Err(Error::Exists {
            name: args.name.clone(),
            store: store.describe(),
        });
    }
    if let Some(client_id) = &args.client_id {
        values.insert("client_id".to_owned(), client_id.clone());
    }
    if values.get("client_id").is_none_or(|id| id.is_empty()) {
        return Err(Error::Usage(
            "give the client id with --client-id".to_owned(),
        ));
    }
    if let Some(uri) = &args.redirect_uri {
        values.insert("redirect_uri".to_owned(), uri.clone());
    }
    for (name, value) in &args.vars {
        values.insert(name.clone(), value.clone());
    }
    if let Some(path) = &args.private_key_file {
        let key = std::fs::read_to_string(path).map_err(|error| {
            Error::Usage(format!(
                "cannot read the private key from {}: {error}",
                path.display()
            ))
        })?;
        values.insert("private_key".to_owned(), key.trim().to_owned());
    }
    if let Some(secret) = client_secret(&args, &settings, values.contains_key("client_secret"))? {
        values.insert("client_secret".to_owned(), secret);
    }
    let mut vars: Vars = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if !args.scopes.is_empty() {
        if let Some(flow) = &settings.authorization {
            vars.set(
                "scope",
                engine::scopes::join_scopes(&args.scopes, flow.scope_separator),
            );
        } else if crate::client_credentials::reissues(&settings) {
            vars.set(
                "scope",
                engine::scopes::join_scopes(&args.scopes, engine::settings::ScopeSeparator::Space),
            );
        }
    }
    // A sign-in's scope is granted once; client credentials ask for it on every re-issue.
    let keeps_scope = crate::client_credentials::reissues(&settings);
    let authorization = crate::login::Authorization {
        name: &args.name,
        settings: &settings,
        values: vars,
        no_browser: args.no_browser,
        timeout: args.timeout,
    };
    let authorized = if args.device {
        crate::device::authorize(authorization)?
    } else {
        crate::login::authorize(authorization)?
    };
    let mut values: std::collections::BTreeMap<String, String> = authorized
        .values
        .iter()
        .filter(|(name, _)| keeps_scope || *name != "scope")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    values.retain(|_, value| !value.is_empty());
    let tokens = Tokens::from_response(authorized.response, None, now_ms(), 0);
    let profile = Profile {
        format_version: PROFILE_FORMAT_VERSION,
        preset_id,
        settings,
        values,
        tokens,
    };
    save_new(store, &args.name, profile, true, keeper.lock_wait())?;
    eprintln!(
        "Authorized: profile `{}` is stored in {}; `otw token {}` prints its access token.",
        args.name,
        store.describe(),
        args.name
    );
    Ok(EXIT_OK)
}

/// The client secret: from --client-secret-file, --client-secret-env (or OTW_CLIENT_SECRET), or
/// a prompt when the token endpoint authenticates the client — never from an argument.
fn client_secret(
    args: &LoginArgs,
    settings: &engine::ServiceSettings,
    already_stored: bool,
) -> Result<Option<String>> {
    if let Some(path) = &args.client_secret_file {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::Usage(format!(
                "cannot read the client secret from {}: {error}",
                path.display()
            ))
        })?;
        let secret = text.lines().next().unwrap_or_default().trim().to_owned();
        if secret.is_empty() {
            return Err(Error::Usage(format!(
                "{} is empty; put the client secret on its first line",
                path.display()
            )));
        }
        return Ok(Some(secret));
    }
    let variable = args
        .client_secret_env
        .as_deref()
        .unwrap_or("OTW_CLIENT_SECRET");
    match std::env::var(variable) {
        Ok(secret) if !secret.is_empty() => return Ok(Some(secret)),
        _ if args.client_secret_env.is_some() => {
            return Err(Error::Usage(format!(
                "the environment variable {variable} is not set"
            )));
        }
        _ => {}
    }
    let needs_secret = !matches!(
        settings.token.client_auth,
        engine::ClientAuth::None | engine::ClientAuth::PrivateKeyJwt
    );
    if already_stored || !needs_secret || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let secret = rpassword::prompt_password("Client secret (leave empty for a public client): ")
        .map_err(|error| Error::Usage(format!("cannot read the client secret: {error}")))?;
    Ok(Some(secret.trim().to_owned()).filter(|secret| !secret.is_empty()))
}

/// `otw exec`: the child gets the token in `variable`; its exit code becomes ours.
fn exec(
    keeper: &Keeper<'_>,
    name: &str,
    variable: &str,
    min_ttl: Option<std::time::Duration>,
    command: &[String],
) -> Result<i32> {
    let valid_variable = !variable.is_empty()
        && !variable.starts_with(|c: char| c.is_ascii_digit())
        && variable
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid_variable {
        return Err(Error::Usage(format!(
            "`{variable}` is not an environment variable name (letters, digits and `_`)"
        )));
    }
    let Some((program, arguments)) = command.split_first() else {
        return Err(Error::Usage(
            "give the command to run after `--`".to_owned(),
        ));
    };
    let tokens = keeper.token(
        name,
        Want {
            min_ttl,
            force: false,
        },
    )?;
    let status = std::process::Command::new(program)
        .args(arguments)
        .env(variable, access_token(&tokens))
        .status()
        .map_err(|error| Error::Exec {
            program: program.clone(),
            detail: error.to_string(),
        })?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

/// `otw show`: the profile with every secret masked.
fn describe(name: &str, store: &dyn Store, profile: &Profile) -> String {
    const MASK: &str = engine::request::MASK;
    let mut lines = vec![
        format!("profile:          {name}"),
        format!("store:            {}", store.describe()),
    ];
    if let Some(id) = &profile.preset_id {
        lines.push(format!("preset:           {id}"));
    }
    lines.push(format!(
        "token endpoint:   {}",
        crate::http::shown_url(&profile.settings.token.url)
    ));
    if crate::client_credentials::reissues(&profile.settings) {
        lines.push(
            "refresh endpoint: none needed (client credentials: the token endpoint issues a new token)"
                .to_owned(),
        );
    } else if let Some(refresh) = &profile.settings.refresh {
        lines.push(format!(
            "refresh endpoint: {}",
            crate::http::shown_url(&refresh.url)
        ));
    } else {
        lines.push("refresh endpoint: none (this service has no refresh)".to_owned());
    }
    for (variable, value) in &profile.values {
        let shown = if engine::vars::is_secret(variable) {
            MASK
        } else {
            value
        };
        lines.push(format!("{variable:<17} {shown}"));
    }
    let tokens = &profile.tokens;
    let access = match (&tokens.access_token, tokens.seconds_left(now_ms())) {
        (None, _) => "none".to_owned(),
        (Some(_), Some(0)) => format!("{MASK} (expired)"),
        (Some(_), Some(seconds)) => format!("{MASK} (expires in {seconds} s)"),
        (Some(_), None) => format!("{MASK} (no expiry known)"),
    };
    lines.push(format!("access token:     {access}"));
    if let Some(kind) = &tokens.token_type {
        lines.push(format!("token type:       {kind}"));
    }
    if let Some(scope) = &tokens.scope {
        lines.push(format!("scope:            {scope}"));
    }
    let refresh = if tokens.refresh_token.is_some() {
        format!("{MASK} (stored)")
    } else {
        "none".to_owned()
    };
    lines.push(format!("refresh token:    {refresh}"));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}
