//! The builders buildmedic tells apart, in one table: their id (in rule
//! files and JSON), their name as shown, and whether rules give fixes for
//! them (a remediation option's `builders:`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A builder that produced a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builder {
    /// Railway's Nixpacks.
    Nixpacks,
    /// Railway's Railpack, Nixpacks' successor.
    Railpack,
    /// A Dockerfile build (BuildKit or the legacy builder).
    Dockerfile,
    /// A Heroku-style buildpack.
    Buildpack,
    /// Nothing in the log says.
    Unknown,
}

/// One builder's row in [`TABLE`].
pub struct Entry {
    builder: Builder,
    /// The id, as rule files and JSON spell it.
    pub id: &'static str,
    label: &'static str,
    /// Rules give fixes for this builder.
    fixes: bool,
}

/// Every builder: the one list the rest of the program reads.
pub const TABLE: &[Entry] = &[
    Entry { builder: Builder::Nixpacks, id: "nixpacks", label: "Nixpacks", fixes: true },
    Entry { builder: Builder::Railpack, id: "railpack", label: "Railpack", fixes: true },
    Entry { builder: Builder::Dockerfile, id: "dockerfile", label: "Dockerfile", fixes: true },
    Entry { builder: Builder::Buildpack, id: "buildpack", label: "buildpack", fixes: false },
    Entry { builder: Builder::Unknown, id: "unknown", label: "unknown builder", fixes: false },
];

impl Builder {
    fn entry(self) -> &'static Entry {
        TABLE.iter().find(|e| e.builder == self).unwrap_or(&UNKNOWN)
    }

    /// The id, as rule files and JSON spell it.
    pub fn as_str(self) -> &'static str {
        self.entry().id
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        self.entry().label
    }

    /// The builders rules give fixes for, in the order pages show them.
    pub fn with_fixes() -> impl Iterator<Item = Builder> {
        TABLE.iter().filter(|e| e.fixes).map(|e| e.builder)
    }

    /// This builder, if rules give fixes for it: the fixes to show first.
    pub fn remedy_builder(self) -> Option<Builder> {
        self.entry().fixes.then_some(self)
    }
}

const UNKNOWN: Entry = Entry { builder: Builder::Unknown, id: "unknown", label: "unknown builder", fixes: false };

impl Serialize for Builder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// In a rule file: one of the builders rules give fixes for.
impl<'de> Deserialize<'de> for Builder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Builder, D::Error> {
        let id = String::deserialize(d)?;
        Builder::with_fixes().find(|b| b.as_str() == id).ok_or_else(|| {
            let expected: Vec<String> = Builder::with_fixes().map(|b| format!("`{}`", b.as_str())).collect();
            serde::de::Error::custom(format!("unknown variant `{id}`, expected one of {}", expected.join(", ")))
        })
    }
}
