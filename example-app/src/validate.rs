//! The rules for user fields, shared by the admin API and the `users` CLI.

use rbac_core::{MAX_SCOPE_ID_LEN, Role, ScopedRole};

/// The longest username, in bytes.
pub const MAX_USERNAME_LEN: usize = 64;
/// The shortest password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// The longest password, in bytes (checked before hashing).
pub const MAX_PASSWORD_BYTES: usize = 128;
/// The longest email or full name, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// A username is 1 to 64 ASCII letters, digits, `_`, `-` or `.`, starting
/// with a letter or digit.
pub fn username(name: &str) -> Result<(), String> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if name.len() > MAX_USERNAME_LEN || !starts_well || !name.chars().all(valid_char) {
        return Err(format!(
            "username: 1 to {MAX_USERNAME_LEN} ASCII letters, digits, `_`, `-` or `.`, starting with a letter or digit"
        ));
    }
    Ok(())
}

/// A password is 8 to 128 bytes.
pub fn password(password: &str) -> Result<(), String> {
    if !(MIN_PASSWORD_BYTES..=MAX_PASSWORD_BYTES).contains(&password.len()) {
        return Err(format!("password: {MIN_PASSWORD_BYTES} to {MAX_PASSWORD_BYTES} bytes"));
    }
    Ok(())
}

/// Roles must be declared by the app's policy (a role or an alias).
pub fn roles(names: &[String]) -> Result<Vec<Role>, String> {
    let policy = crate::policy::describe();
    let declared = || policy.roles.iter().map(|role| role.name).collect::<Vec<_>>().join(", ");
    names
        .iter()
        .map(|name| match (policy.role(name), Role::new(name)) {
            (Some(_), Ok(role)) => Ok(role),
            _ => Err(format!("unknown role `{}` (declared: {})", name.escape_debug(), declared())),
        })
        .collect()
}

/// A role within a scope, as `ROLE` and `DOMAIN:SCOPE` (`editor`,
/// `org:acme`): the domain and the role must be declared by the policy, and
/// the scope id is 1 to 128 bytes without whitespace or control characters.
pub fn grant(role: &str, target: &str) -> Result<ScopedRole, String> {
    let policy = crate::policy::describe();
    // Stored under the role's own name, not an alias: `user` and `viewer`
    // are one grant, revoked as either.
    let canonical = policy.role(role).map_or(role, |declared| declared.name);
    let [role] = roles(&[canonical.to_owned()])?.try_into().map_err(|_| "one role".to_owned())?;
    let Some((domain, scope)) = target.split_once(':') else {
        return Err("in: `DOMAIN:SCOPE`, like `org:acme`".to_owned());
    };
    if policy.domain(domain).is_none() {
        let declared = policy.domains.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
        return Err(format!("unknown domain `{}` (declared: {declared})", domain.escape_debug()));
    }
    ScopedRole::new(domain, scope, role).map_err(|_| {
        format!(
            "in: the scope id is 1 to {MAX_SCOPE_ID_LEN} bytes without whitespace or control \
             characters"
        )
    })
}

/// An email or full name: at most 200 characters, no control characters.
pub fn text(field: &str, value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_TEXT_CHARS || value.chars().any(char::is_control) {
        return Err(format!("{field}: at most {MAX_TEXT_CHARS} characters, no control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(username("johndoe").is_ok() && username("a.b-c_9").is_ok());
        for bad in ["", ".hidden", "white space", "x'; DROP", "ünï", "a\0b", &"a".repeat(65)] {
            assert!(username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_8_to_128_bytes() {
        assert!(password("1234567").is_err() && password("12345678").is_ok());
        assert!(password(&"x".repeat(128)).is_ok() && password(&"x".repeat(129)).is_err());
        assert!(password("ééé").is_err(), "bytes, not characters: 6 < 8");
    }

    #[test]
    fn grants_name_a_declared_domain_and_role_and_a_plain_id() {
        let valid = grant("editor", "org:acme").expect("valid");
        assert_eq!(valid.to_string(), "editor in org:acme");
        assert_eq!(&*grant("user", "org:a:b").expect("alias, id with a colon").scope, "a:b");
        for (role, target, wanted) in [
            ("editor", "orgs:acme", "unknown domain `orgs`"),
            ("edtor", "org:acme", "unknown role `edtor`"),
            ("editor", "acme", "DOMAIN:SCOPE"),
            ("editor", "org:", "scope id"),
            ("editor", "org:ac me", "scope id"),
            ("editor", "org:\u{1b}[2J", "scope id"),
        ] {
            let error = grant(role, target).expect_err(target);
            assert!(error.contains(wanted), "{role} {target}: {error}");
        }
    }

    #[test]
    fn roles_come_from_the_policy() {
        assert_eq!(roles(&["admin".into(), "user".into()]).map(|r| r.len()), Ok(2));
        let error = roles(&["admn".into()]).expect_err("unknown");
        assert!(error.contains("unknown role `admn`") && error.contains("admin"), "{error}");
    }
}
