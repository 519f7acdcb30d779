//! LINE's API as linelens knows it, in one catalogue: every endpoint the
//! tool treats specially, with what it is. Parsing, ingest, the analysis,
//! the audit and the rate-limit table ask here instead of comparing paths
//! of their own.
//!
//! Paths are without host or query (see `parse::endpoint_path`); `{x}` is
//! one path segment, a trailing `*` any rest.

use crate::model::Method;
use crate::time::Millis;

/// Which of LINE's APIs a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    MessagingApi,
    /// LINE MINI App service messages.
    MiniApp,
    /// LINE Login (OAuth, profile): API traffic, never a MINI App's.
    Login,
}

/// What the analysis tells apart among sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    Push,
    Multicast,
    Reply,
    Narrowcast,
    Broadcast,
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// `None`: any method.
    pub method: Option<Method>,
    pub path: &'static str,
    pub api: Api,
    /// A message send (counted against the quota, unless a reply).
    pub send: Option<Send>,
    /// Takes `X-Line-Retry-Key`.
    pub retry_key: bool,
    /// The Python SDK v3's name for the call (`push_message`).
    pub sdk_call: Option<&'static str>,
    /// LINE's documented rate limit: requests per window (ms), as of
    /// 2025-04-23 (multicast lowered from 2,000/s to 200/s that day).
    pub limit: Option<(u64, Millis)>,
}

const S: Millis = 1_000;
const MIN: Millis = 60_000;
const H: Millis = 3_600_000;
const POST: Option<Method> = Some(Method::Post);

const fn send(
    path: &'static str,
    send: Send,
    retry_key: bool,
    sdk_call: &'static str,
    limit: (u64, Millis),
) -> Endpoint {
    Endpoint {
        method: POST,
        path,
        api: Api::MessagingApi,
        send: Some(send),
        retry_key,
        sdk_call: Some(sdk_call),
        limit: Some(limit),
    }
}

const fn other(
    method: Option<Method>,
    path: &'static str,
    sdk_call: Option<&'static str>,
    limit: Option<(u64, Millis)>,
) -> Endpoint {
    Endpoint { method, path, api: Api::MessagingApi, send: None, retry_key: false, sdk_call, limit }
}

/// Every endpoint, most specific first (the first match counts).
pub const ENDPOINTS: &[Endpoint] = &[
    send("/v2/bot/message/push", Send::Push, true, "push_message", (2_000, S)),
    send("/v2/bot/message/reply", Send::Reply, false, "reply_message", (2_000, S)),
    send("/v2/bot/message/multicast", Send::Multicast, true, "multicast", (200, S)),
    send("/v2/bot/message/narrowcast", Send::Narrowcast, true, "narrowcast", (60, H)),
    send("/v2/bot/message/broadcast", Send::Broadcast, true, "broadcast", (60, H)),
    other(POST, "/v2/bot/chat/loading/start", Some("show_loading_animation"), Some((100, S))),
    other(Some(Method::Get), "/v2/bot/profile/{userId}", Some("get_profile"), None),
    other(Some(Method::Get), "/v2/bot/message/{messageId}/content", Some("get_message_content"), None),
    other(None, "/v2/bot/audienceGroup/*", None, Some((60, MIN))),
    other(None, "/v2/bot/*", None, Some((2_000, S))),
    Endpoint {
        method: POST,
        path: "/message/v3/notifier/send",
        api: Api::MiniApp,
        send: None,
        retry_key: false,
        sdk_call: None,
        limit: None,
    },
];

/// Whether `path` matches the catalogue's `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    // Asked for every API record: whole-path compares first, segments only
    // for a pattern with a `{…}` segment.
    let path = path.trim_end_matches('/');
    if let Some(prefix) = pattern.strip_suffix('*') {
        return path.starts_with(prefix) || path == prefix.trim_end_matches('/');
    }
    if memchr::memchr(b'{', pattern.as_bytes()).is_none() {
        return path == pattern;
    }
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// The first endpoint of the catalogue `method` and `path` match.
pub fn find(method: Option<Method>, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| (e.method.is_none() || method.is_none() || e.method == method) && matches(e.path, path))
}

/// The send a path is, if any.
pub fn send_of(path: &str) -> Option<Send> {
    ENDPOINTS.iter().filter(|e| e.send.is_some()).find(|e| matches(e.path, path)).and_then(|e| e.send)
}

/// Whether the path takes `X-Line-Retry-Key` (push, multicast, narrowcast,
/// broadcast).
pub fn takes_retry_key(path: &str) -> bool {
    ENDPOINTS.iter().any(|e| e.retry_key && matches(e.path, path))
}

/// Whether the path is a MINI App service-message call
/// (`/message/v3/notifier/…`).
pub fn is_miniapp(path: &str) -> bool {
    path.starts_with("/message/v3/notifier/")
}

/// Whether a rate-limit pattern (`/message/v3/*`) is the MINI App's API.
pub fn is_miniapp_pattern(pattern: &str) -> bool {
    pattern.starts_with("/message/v3/")
}

/// Whether a send's recipients must be users (multicast's `to[]`, the
/// loading animation's `chatId`), not groups or rooms.
pub fn users_only(path: &str) -> bool {
    send_of(path) == Some(Send::Multicast) || matches("/v2/bot/chat/loading/start", path)
}

/// Whether the path is a user's profile (`/v2/bot/profile/{userId}`).
pub fn is_profile(path: &str) -> bool {
    path.starts_with("/v2/bot/profile/")
}

/// Whether the path is the MINI App's service-message send.
pub fn is_miniapp_send(path: &str) -> bool {
    path.starts_with("/message/v3/notifier/send")
}

/// Whether the path is an audience call (`/v2/bot/audienceGroup/…`), and
/// what follows that prefix.
pub fn audience_rest(path: &str) -> Option<&str> {
    path.strip_prefix("/v2/bot/audienceGroup/")
}

/// The audience calls that create one (its ID in the response).
pub const AUDIENCE_CREATE: [&str; 4] = ["upload", "upload/byFile", "click", "imp"];

/// Which API a logged target (a URL or a path) belongs to, if LINE's:
/// LINE Login's host or paths, the MINI App's notifier, the Messaging API.
pub fn api_of(target: &str) -> Option<Api> {
    let host = target.split_once("://").map_or("", |(_, rest)| rest);
    if host.starts_with("access.line.me") {
        return Some(Api::Login);
    }
    let path = endpoint_path(target);
    if is_miniapp(path) {
        Some(Api::MiniApp)
    } else if ["/v2/oauth", "/oauth2/", "/v2/profile"].iter().any(|p| path.starts_with(p)) {
        Some(Api::Login)
    } else if ["/v2/bot/", "/v3/bot/"].iter().any(|p| path.starts_with(p)) {
        Some(Api::MessagingApi)
    } else {
        None
    }
}

/// The path of a send.
pub fn send_path(s: Send) -> &'static str {
    ENDPOINTS.iter().find(|e| e.send == Some(s)).map_or("", |e| e.path)
}

/// The endpoint a Python SDK v3 call names (`push_message`).
pub fn by_sdk_call(name: &str) -> Option<&'static str> {
    ENDPOINTS.iter().find(|e| e.sdk_call == Some(name)).map(|e| e.path)
}

/// The content request's message ID (`/v2/bot/message/{id}/content…`).
pub fn content_message_id(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/bot/message/")?;
    let (id, tail) = rest.split_once('/')?;
    tail.starts_with("content").then_some(id)
}

/// The IDs a path carries, each with the kind it must be (`U` user, `C`
/// group, `R` room): `/v2/bot/profile/{userId}`,
/// `/v2/bot/group/{groupId}/member/{userId}`, `/v2/bot/user/{userId}/…`
/// (not `user/all`).
pub fn path_ids(path: &str) -> Vec<(&str, char)> {
    let mut out = Vec::new();
    if !path.starts_with("/v2/bot/") {
        return out;
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    for w in segs.windows(2) {
        let [k, v] = w else { continue };
        let want = match *k {
            "profile" | "member" => 'U',
            "user" if *v != "all" => 'U',
            "group" => 'C',
            "room" => 'R',
            _ => continue,
        };
        if !v.is_empty() {
            out.push((*v, want));
        }
    }
    out
}

/// The path of an endpoint URL: scheme, host, query and fragment removed.
/// `https://api.line.me/v2/bot/message/push?x=1` → `/v2/bot/message/push`.
pub fn endpoint_path(s: &str) -> &str {
    // Byte searches (memchr): this runs for every API line, and building a
    // substring searcher per call cost more than the rest of it.
    let b = s.as_bytes();
    let scheme_end =
        memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1..i + 3) == Some(b"//".as_slice())).map(|i| i + 3);
    let rest = match scheme_end {
        Some(i) => {
            let after = s.get(i..).unwrap_or("");
            match memchr::memchr(b'/', after.as_bytes()) {
                Some(j) => after.get(j..).unwrap_or(""),
                None => "/",
            }
        }
        None => s,
    };
    let end = memchr::memchr2(b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    rest.get(..end).unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_answers() {
        assert_eq!(send_of("/v2/bot/message/push/"), Some(Send::Push));
        assert_eq!(send_of("/v2/bot/message/pushx"), None);
        assert!(takes_retry_key("/v2/bot/message/broadcast") && !takes_retry_key("/v2/bot/message/reply"));
        assert_eq!(find(Some(Method::Get), "/v2/bot/profile/U1").map(|e| e.sdk_call), Some(Some("get_profile")));
        assert_eq!(find(Some(Method::Delete), "/v2/bot/audienceGroup/12").and_then(|e| e.limit), Some((60, MIN)));
        assert_eq!(find(Some(Method::Get), "/v2/bot/info").and_then(|e| e.limit), Some((2_000, S)));
        assert!(find(None, "/callback").is_none());
        assert!(
            matches("/v2/bot/profile/{userId}", "/v2/bot/profile/U1/")
                && !matches("/v2/bot/profile/{userId}", "/v2/bot/profile/")
        );
        assert!(
            matches("/v2/bot/audienceGroup/*", "/v2/bot/audienceGroup")
                && !matches("/v2/bot/message/push", "/v2/bot/message")
        );
        assert_eq!(api_of("https://api.line.me/message/v3/notifier/send?target=service"), Some(Api::MiniApp));
        assert_eq!(api_of("https://access.line.me/oauth2/v2.1/token"), Some(Api::Login));
        assert_eq!(api_of("/v2/bot/message/push"), Some(Api::MessagingApi));
        assert_eq!(api_of("/callback"), None);
        assert_eq!(by_sdk_call("show_loading_animation"), Some("/v2/bot/chat/loading/start"));
        assert_eq!(content_message_id("/v2/bot/message/123/content/preview"), Some("123"));
        assert_eq!(path_ids("/v2/bot/group/C1/member/U2"), [("C1", 'C'), ("U2", 'U')]);
        assert!(path_ids("/v2/bot/user/all/richmenu").is_empty());
    }
}
