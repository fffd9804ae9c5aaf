//! A `USER` as runc resolves it, from the image's own `/etc/passwd` and
//! `/etc/group`: the rules of runc's `GetExecUser` (moby/sys/user), so that
//! root by any spelling is root. `00`, `+0` and `0000` are uid 0, since a
//! number is read as Go's `strconv.Atoi` reads it; a name is looked up,
//! and `USER nonroot` is root where the image's passwd says so; a field
//! that is not a number reads as 0, as runc reads it.

use std::fmt;

/// Who a process of the image starts as, and which lines said so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub uid: u32,
    pub gid: u32,
    /// Groups of `/etc/group` that name the user as a member.
    pub supplementary: Vec<u32>,
    /// The lines of `/etc/passwd` and `/etc/group` that mapped it, if any did.
    pub mapped_by: Vec<String>,
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// One line of `/etc/passwd` or `/etc/group`, as runc splits it.
struct Line<'a> {
    text: &'a str,
    fields: Vec<&'a str>,
}

impl<'a> Line<'a> {
    fn all(file: &'a str) -> impl Iterator<Item = Line<'a>> {
        file.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|text| Line {
                text,
                fields: text.split(':').collect(),
            })
    }

    fn field(&self, index: usize) -> &'a str {
        self.fields.get(index).copied().unwrap_or_default()
    }

    /// A numeric field as runc reads it: not a number reads as 0.
    fn number(&self, index: usize) -> i64 {
        atoi(self.field(index)).unwrap_or(0)
    }
}

/// Go's `strconv.Atoi` on 64-bit: an optional sign, then decimal digits.
fn atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The largest ID runc accepts.
const MAX_ID: i64 = (1 << 31) - 1;

fn id(number: i64, what: &str) -> Result<u32, String> {
    if (0..=MAX_ID).contains(&number) {
        u32::try_from(number).map_err(|_| format!("{what} {number} is out of range"))
    } else {
        Err(format!("{what} {number} is out of range"))
    }
}

/// `spec` (a `USER` value: `name`, `uid`, `name:group`, `uid:gid`, …)
/// resolved against the image's `passwd` and `group` (`None` where the
/// image has no such file), or why runc would refuse to start it.
pub fn resolve(spec: &str, passwd: Option<&str>, group: Option<&str>) -> Result<Resolved, String> {
    let (user_arg, group_arg) = spec.split_once(':').unwrap_or((spec, ""));
    let uid_arg = atoi(user_arg);
    let gid_arg = atoi(group_arg);
    let mut resolved = Resolved {
        uid: 0,
        gid: 0,
        supplementary: Vec::new(),
        mapped_by: Vec::new(),
    };
    let user_line = Line::all(passwd.unwrap_or_default()).find(|line| match (user_arg, uid_arg) {
        ("", _) => line.number(2) == 0,
        (_, Some(uid)) => line.number(2) == uid,
        (name, None) => line.field(0) == name,
    });
    let mut matched_name = None;
    match (user_line, uid_arg) {
        (Some(line), _) => {
            resolved.uid = id(line.number(2), "uid")?;
            resolved.gid = id(line.number(3), "gid")?;
            resolved
                .mapped_by
                .push(format!("/etc/passwd: {}", line.text));
            matched_name = Some(line.field(0));
        }
        (None, Some(uid)) if !user_arg.is_empty() => resolved.uid = id(uid, "uid")?,
        (None, _) if user_arg.is_empty() => {}
        (None, _) => {
            return Err(format!(
                "the user {user_arg:?} is not in the image's /etc/passwd, so runc refuses to \
                 start it"
            ));
        }
    }
    if group_arg.is_empty() && matched_name.is_none() {
        return Ok(resolved);
    }
    let groups: Vec<Line> = Line::all(group.unwrap_or_default())
        .filter(|line| match (group_arg, gid_arg) {
            ("", _) => matched_name
                .is_some_and(|name| line.field(3).split(',').any(|member| member == name)),
            (_, Some(gid)) => line.number(2) == gid,
            (name, None) => line.field(0) == name,
        })
        .collect();
    if group_arg.is_empty() {
        for line in &groups {
            resolved.supplementary.push(id(line.number(2), "gid")?);
            resolved
                .mapped_by
                .push(format!("/etc/group: {}", line.text));
        }
        return Ok(resolved);
    }
    match (groups.first(), gid_arg) {
        (Some(line), _) => {
            resolved.gid = id(line.number(2), "gid")?;
            resolved
                .mapped_by
                .push(format!("/etc/group: {}", line.text));
        }
        (None, Some(gid)) => resolved.gid = id(gid, "gid")?,
        (None, None) => {
            return Err(format!(
                "the group {group_arg:?} is not in the image's /etc/group, so runc refuses to \
                 start it"
            ));
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
                          nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n\
                          postgres:x:100:102::/var/lib/postgresql:/bin/bash\n";
    const GROUP: &str = "root:x:0:\nssl-cert:x:101:postgres\npostgres:x:102:\nnonroot:x:65532:\n";

    fn ids(spec: &str, passwd: &str, group: &str) -> (u32, u32, Vec<u32>) {
        let resolved = resolve(spec, Some(passwd), Some(group)).expect("resolved");
        (resolved.uid, resolved.gid, resolved.supplementary)
    }

    #[test]
    fn root_by_any_spelling_is_uid_0() {
        for spec in [
            "",
            "0",
            "00",
            "0000",
            "+0",
            "root",
            "00:00",
            "root:root",
            "0:0",
        ] {
            assert_eq!(ids(spec, PASSWD, GROUP).0, 0, "{spec:?}");
        }
        // No passwd at all, as in an empty image: numbers alone.
        assert_eq!(
            resolve("00:00", None, None).map(|r| (r.uid, r.gid)),
            Ok((0, 0))
        );
    }

    #[test]
    fn a_name_is_whatever_the_images_own_passwd_makes_it() {
        assert_eq!(ids("nonroot", PASSWD, GROUP), (65532, 65532, vec![]));
        let lying = "nonroot:x:0:0::/:/sbin/nologin\n";
        let resolved = resolve("nonroot", Some(lying), Some(GROUP)).expect("resolved");
        assert_eq!((resolved.uid, resolved.gid), (0, 0));
        assert_eq!(
            resolved.mapped_by,
            vec!["/etc/passwd: nonroot:x:0:0::/:/sbin/nologin"]
        );
        // A uid runc cannot read as a number reads as 0.
        let garbled = "nonroot:x:65532x:65532::/:/sbin/nologin\n";
        assert_eq!(
            resolve("nonroot", Some(garbled), None).map(|r| r.uid),
            Ok(0)
        );
    }

    #[test]
    fn a_user_by_name_gets_the_groups_that_name_it_as_a_member() {
        let resolved = resolve("postgres", Some(PASSWD), Some(GROUP)).expect("resolved");
        assert_eq!(
            (resolved.uid, resolved.gid, resolved.supplementary.clone()),
            (100, 102, vec![101])
        );
        assert!(
            resolved
                .mapped_by
                .contains(&"/etc/group: ssl-cert:x:101:postgres".to_owned())
        );
        // By number, the passwd line's name is matched all the same.
        assert_eq!(ids("100", PASSWD, GROUP), (100, 102, vec![101]));
        // A group given replaces the passwd's and adds none.
        assert_eq!(ids("postgres:ssl-cert", PASSWD, GROUP), (100, 101, vec![]));
    }

    #[test]
    fn a_name_the_image_does_not_know_is_refused_as_runc_refuses_it() {
        assert!(resolve("ghost", Some(PASSWD), Some(GROUP)).is_err());
        assert!(resolve("65532:ghosts", Some(PASSWD), Some(GROUP)).is_err());
        assert_eq!(ids("1234:5678", PASSWD, GROUP), (1234, 5678, vec![]));
        assert!(resolve("-1", Some(PASSWD), None).is_err());
    }
}
