//! The HTTP side of SCP81: message framing ([`message`]) and the
//! GlobalPlatform Amendment B admin protocol on top of it ([`admin`]).

pub mod admin;
pub mod message;
mod writer;

pub use admin::{
    ADMIN_PROTOCOL, AdminPost, AdminReply, AdminRequest, AdminResponse, AidBuf, BodyFraming,
    CONTENT_TYPE_COMMAND, CONTENT_TYPE_RESPONSE, ContentType, ErrorStatus, ScriptStatus,
    parse_post, parse_reply, parse_targeted_application,
};
pub use message::{
    Body, Headers, Limits, Request, Response, Status, Version, parse_request, parse_response,
};
pub(crate) use writer::{Writer, decode_hex, hex_value};
