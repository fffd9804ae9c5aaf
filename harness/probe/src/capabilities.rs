//! File capabilities: the `security.capability` extended attribute, which
//! `docker export` carries as a PAX record. A file that holds
//! `cap_setuid+ep` makes whoever runs it able to become root, as a setuid
//! file does, with no setuid bit to see.

use std::fmt;

/// The PAX record of the attribute.
pub const CAPABILITY_RECORD: &str = "SCHILY.xattr.security.capability";

/// The capabilities' names by bit, as `setcap` and `getcap` write them.
const NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// What `security.capability` gives a file (`struct vfs_cap_data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCapabilities {
    pub permitted: u64,
    pub inheritable: u64,
    /// Raised in the effective set at exec.
    pub effective: bool,
}

impl FileCapabilities {
    /// The attribute's bytes: a little-endian magic word (its version in
    /// the top byte, the effective flag in bit 0), then the permitted and
    /// inheritable words, twice from version 2 on. `None` if malformed, as
    /// the kernel ignores it then.
    pub fn parse(value: &[u8]) -> Option<FileCapabilities> {
        let word = |index: usize| -> Option<u32> {
            let bytes = value.get(index * 4..index * 4 + 4)?;
            Some(u32::from_le_bytes(bytes.try_into().ok()?))
        };
        let magic = word(0)?;
        let (low_permitted, low_inheritable) = (word(1)?, word(2)?);
        let (high_permitted, high_inheritable) = match magic >> 24 {
            1 => (0, 0),
            2 | 3 => (word(3)?, word(4)?),
            _ => return None,
        };
        Some(FileCapabilities {
            permitted: u64::from(high_permitted) << 32 | u64::from(low_permitted),
            inheritable: u64::from(high_inheritable) << 32 | u64::from(low_inheritable),
            effective: magic & 1 == 1,
        })
    }

    /// Whether it gives anything at all.
    pub fn any(&self) -> bool {
        self.permitted != 0 || self.inheritable != 0
    }
}

fn names(bits: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| bits & (1 << bit) != 0)
        .map(|bit| {
            NAMES
                .get(bit)
                .map_or_else(|| format!("cap_{bit}"), |name| (*name).to_owned())
        })
        .collect()
}

impl fmt::Display for FileCapabilities {
    /// As `getcap` writes it: `cap_setgid,cap_setuid=ep`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let effective = if self.effective { "e" } else { "" };
        let mut sets = Vec::new();
        if self.permitted != 0 {
            sets.push(format!("{}={effective}p", names(self.permitted).join(",")));
        }
        if self.inheritable != 0 {
            sets.push(format!("{}+i", names(self.inheritable).join(",")));
        }
        write!(f, "{}", sets.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setcaps_cap_setuid_and_cap_setgid_plus_ep_read_back_as_getcap_writes_them() {
        // docker export of a file after `setcap cap_setuid,cap_setgid+ep`.
        let value = b"\x01\x00\x00\x02\xc0\x00\x00\x00\0\0\0\0\0\0\0\0\0\0\0\0";
        let caps = FileCapabilities::parse(value).expect("a version 2 attribute");
        assert!(caps.any());
        assert_eq!(caps.to_string(), "cap_setgid,cap_setuid=ep");
    }

    #[test]
    fn a_malformed_attribute_gives_nothing() {
        assert_eq!(FileCapabilities::parse(b"\x01\x00"), None);
        assert_eq!(FileCapabilities::parse(&[0xff; 20]), None);
    }
}
