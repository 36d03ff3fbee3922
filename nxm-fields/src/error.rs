//! Errors of the field layer. Wire faults name the `OFPBMC_*` code OVS sends
//! for them; text faults carry the message ovs-ofctl prints.

/// A fault in a match or a field value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// `OFPBMC_BAD_TYPE`: the match is not an OXM match.
    #[error("OFPBMC_BAD_TYPE")]
    BadType,
    /// `OFPBMC_BAD_LEN`: a length does not add up.
    #[error("OFPBMC_BAD_LEN")]
    BadLen,
    /// `OFPBMC_BAD_FIELD`: a field this switch does not know.
    #[error("OFPBMC_BAD_FIELD")]
    BadField,
    /// `OFPBMC_BAD_VALUE`: a value outside the field's range.
    #[error("OFPBMC_BAD_VALUE")]
    BadValue,
    /// `OFPBMC_BAD_MASK`: a mask on an unmaskable field, or a bad one.
    #[error("OFPBMC_BAD_MASK")]
    BadMask,
    /// `OFPBMC_BAD_PREREQ`: a field whose prerequisites are not matched.
    #[error("OFPBMC_BAD_PREREQ")]
    BadPrereq,
    /// `OFPBMC_DUP_FIELD`: the same field twice.
    #[error("OFPBMC_DUP_FIELD")]
    DupField,
    /// A text fault, with the message ovs-ofctl prints for it.
    #[error("{0}")]
    Text(String),
}

impl FieldError {
    /// A text fault.
    pub fn text(message: impl Into<String>) -> Self {
        FieldError::Text(message.into())
    }

    /// The name of the `OFPBMC_*` code for a wire fault.
    pub fn ofp_name(&self) -> Option<&'static str> {
        Some(match self {
            FieldError::BadType => "OFPBMC_BAD_TYPE",
            FieldError::BadLen => "OFPBMC_BAD_LEN",
            FieldError::BadField => "OFPBMC_BAD_FIELD",
            FieldError::BadValue => "OFPBMC_BAD_VALUE",
            FieldError::BadMask => "OFPBMC_BAD_MASK",
            FieldError::BadPrereq => "OFPBMC_BAD_PREREQ",
            FieldError::DupField => "OFPBMC_DUP_FIELD",
            FieldError::Text(_) => return None,
        })
    }

    /// The OFPET_BAD_MATCH (type 4) code for a wire fault, per OpenFlow 1.3.
    pub fn ofp_code(&self) -> Option<u16> {
        Some(match self {
            FieldError::BadType => 0,
            FieldError::BadLen => 1,
            FieldError::BadValue => 7,
            FieldError::BadMask => 8,
            FieldError::BadPrereq => 9,
            FieldError::DupField => 10,
            FieldError::BadField => 6,
            FieldError::Text(_) => return None,
        })
    }
}
