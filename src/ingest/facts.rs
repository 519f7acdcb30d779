//! What a LINE record says, kept beside it: a request's IDs, recipients,
//! tokens and audiences; a webhook's events and signature state.

use super::*;
use crate::model::{
    ApiMeta, AudienceOp, EventMeta, Kind, Loc, Method, Mode, NONE, Note, Record, Response, SourceType, WebhookMeta,
};
use crate::parse::{self, Line, body};
use crate::signature::SigState;
use crate::store::{INLINE, hash_id};
use crate::time::Millis;

impl ParsedBlock {
    /// What the block knows of a line's target (as written; `None`: the
    /// line has none): its path's symbol and how the catalogue classes the
    /// path, worked out once per distinct target in the block. (Cutting the
    /// path out of a URL and matching it against the catalogue's send
    /// endpoints, line after line, was a tenth of reading a request log's
    /// line; a block names a few targets, mostly the same few endpoints.)
    fn target_info(&mut self, target: Option<&str>) -> TargetInfo {
        let Some(t) = target else {
            return TargetInfo::of(&mut self.syms, None);
        };
        let id = self.targets.intern(t) as usize;
        if let Some(&info) = self.target_info.get(id) {
            return info;
        }
        let info = TargetInfo::of(&mut self.syms, Some(t));
        self.target_info.push(info);
        info
    }

    /// (`id_hash`: the hash of its request ID, when it is an API call's.)
    pub(super) fn add_record(&mut self, l: &Line, offset: u64, id_hash: u64) {
        let f = &l.fields;
        self.fields.observe(l);
        let idx = self.records.len() as u32;
        let info = self.target_info(l.target());
        let path = info.path;
        let mut aux = NONE;
        match l.kind {
            Kind::Webhook => {
                let mut meta = WebhookMeta {
                    ip: self.syms.opt(f.ip.as_deref()),
                    destination: NONE,
                    events_start: self.events.len() as u32,
                    events_len: 0,
                    has_signature: f.signature.is_some(),
                    sig: SigState::Unverifiable,
                    has_raw_body: f.body.as_ref().is_some_and(|b| b.is_string()),
                    has_body: f.body.is_some(),
                };
                if let Some(b) = &f.body {
                    let text = b.text();
                    let wb = body::parse_webhook_body(&text);
                    let destination = wb.as_ref().and_then(|w| w.destination.as_deref());
                    let raw = meta.has_raw_body.then_some(text.as_ref());
                    meta.sig =
                        crate::signature::check(self.secrets.as_deref(), raw, f.signature.as_deref(), destination);
                    if let Some(wb) = &wb {
                        meta.destination = self.syms.opt(wb.destination.as_deref());
                        for ev in &wb.events {
                            let e = self.event(idx, ev);
                            self.events.push(e);
                        }
                        meta.events_len = wb.events.len() as u32;
                    }
                }
                // A line that reported the signature rejected; or the access
                // line of the request such a line just reported (see
                // `merge_failure`).
                if let Some(failure) = f.signature_failure.or_else(|| self.merge_failure(l)) {
                    meta.sig = failure.state();
                    if failure == parse::sdk::SignatureFailure::Invalid {
                        meta.has_signature = true;
                    }
                }
                if let Some(s) = f.signature_failure {
                    self.sig_failure = Some((idx, f.time, s));
                }
                if let Some(ms) = f.duration_ms.filter(|&ms| ms > SLOW_MS) {
                    let slow_ms = u16::try_from(ms).unwrap_or(u16::MAX);
                    self.notes.push(Note { record: idx, slow_ms, ..Note::default() });
                }
                if meta.has_body || meta.has_signature || meta.sig != SigState::Unverifiable {
                    aux = self.webhooks.len() as u32;
                    self.webhooks.push(meta);
                } else if meta.ip != NONE {
                    aux = INLINE | meta.ip;
                }
            }
            Kind::Api | Kind::MiniApp => {
                if let Some(id) = &f.request_id {
                    self.request_ids.push((idx, id_hash));
                    if self.keep_ids {
                        self.kept_ids.push((idx, id.as_ref().into()));
                    }
                }
                if let Some(id) = &f.accepted_request_id {
                    self.accepted_ids.push((idx, hash_id(id)));
                }
                let mut meta = ApiMeta {
                    retry_key: f.retry_key.as_deref().map_or(0, hash_id),
                    token: f.notification_token.as_deref().map_or(0, hash_id),
                    users_start: self.users.len() as u32,
                    users_len: 0,
                };
                let mut note = Note { record: idx, ..Note::default() };
                let rb = f.request_body.as_ref().and_then(|b| body::parse_request_body(&b.text()));
                // The response body matters for errors, MINI App tokens and new audiences only.
                let wants_response = f.status >= 400 || l.kind == Kind::MiniApp || info.audience;
                let resp = f
                    .response_body
                    .as_ref()
                    .filter(|_| wants_response)
                    .and_then(|b| body::parse_response_body(&b.text()));
                if let Some(rb) = &rb {
                    if let Some(t) = rb.reply_token.as_deref() {
                        meta.token = hash_id(t);
                    }
                    for u in rb.to.iter().chain(rb.chat_id.iter()) {
                        let s = self.syms.intern(u);
                        self.users.push(s);
                    }
                    meta.users_len = self.users.len() as u32 - meta.users_start;
                } else if let Some(u) = f.user_id.as_deref() {
                    // A user format's line naming its recipient.
                    let s = self.syms.intern(u);
                    self.users.push(s);
                    meta.users_len = 1;
                }
                if f.status >= 400 {
                    // The body's `message`, else the body itself (a bot that logs
                    // the message as a string), else a text line's extras.
                    let raw = f.response_body.as_ref().map(|b| b.text());
                    let message =
                        resp.as_ref().and_then(|r| r.message.as_deref()).or(raw.as_deref()).or(l.extras.as_deref());
                    note.response = message.map_or(Response::Other, Response::classify);
                }
                if l.kind == Kind::MiniApp {
                    // The guideline's logged token is the one in the response.
                    note.token_used = rb.as_ref().and_then(|r| r.notification_token.as_deref()).map_or(0, hash_id);
                    note.token_returned = resp
                        .as_ref()
                        .and_then(|r| r.notification_token.as_deref())
                        .or(f.notification_token.as_deref())
                        .map_or(0, hash_id);
                }
                let audiences = audience_calls(f.method, l.target(), info, rb.as_ref(), resp.as_ref());
                if audiences.is_empty() {
                    if note != (Note { record: idx, ..Note::default() }) {
                        self.notes.push(note);
                    }
                } else {
                    for (op, id) in audiences {
                        self.notes.push(Note { audience_op: op, audience: hash_id(&id), ..note });
                    }
                }
                if meta != (ApiMeta { users_start: meta.users_start, ..ApiMeta::default() }) {
                    aux = self.api.len() as u32;
                    self.api.push(meta);
                }
            }
            Kind::Http => aux = self.syms.opt(f.ip.as_deref()),
            Kind::Log | Kind::Unparsed => {}
        }
        // A `log` record keeps its level where others keep the status.
        let status = if l.kind == Kind::Log { f.level.map_or(0, |v| v as u16) } else { f.status };
        let mut rec = Record::new(
            f.time,
            Loc::new(self.source, offset),
            l.kind,
            f.method.unwrap_or(Method::None),
            status,
            path,
            aux,
        );
        if f.time == i64::MIN
            && let Some(of_day) = f.clock
        {
            // The time of day until its date is known (see `commit`).
            rec.set_ts(Millis::from(of_day));
            self.clock_only.push(idx);
        }
        self.records.push(rec);
    }

    fn event(&mut self, record: u32, ev: &body::Event) -> EventMeta {
        let src = ev.source.as_ref();
        let source_type = match src.and_then(|s| s.kind.str()).as_deref() {
            None => SourceType::None,
            Some("user") => SourceType::User,
            Some("group") => SourceType::Group,
            Some("room") => SourceType::Room,
            Some(_) => SourceType::Other,
        };
        let msg = ev.message.as_ref();
        let message_id = msg.and_then(|m| m.id.str()).or_else(|| ev.unsend.as_ref().and_then(|u| u.message_id.str()));
        EventMeta {
            record,
            event_type: self.syms.opt(ev.kind.str().as_deref()),
            mode: ev.mode.str().map_or(Mode::None, |m| Mode::parse(&m)),
            source_type,
            user: self.syms.opt(src.and_then(|s| s.user_id.str()).as_deref()),
            webhook_event_id: ev.webhook_event_id.str().map_or(0, |s| hash_id(&s)),
            is_redelivery: ev.delivery_context.as_ref().and_then(|d| d.is_redelivery).unwrap_or(false),
            reply_token: ev.reply_token.str().map_or(0, |s| hash_id(&s)),
            message_id: message_id.map_or(0, |s| hash_id(&s)),
        }
    }
}

/// What [`ParsedBlock::target_info`] keeps of a target.
#[derive(Debug, Clone, Copy)]
pub(super) struct TargetInfo {
    /// The symbol of its path ([`parse::endpoint_path`]).
    path: Sym,
    /// An audience call ([`crate::line_api::audience_rest`]).
    audience: bool,
    /// A narrowcast ([`crate::line_api::send_of`]).
    narrowcast: bool,
}

impl TargetInfo {
    fn of(syms: &mut crate::store::Interner, target: Option<&str>) -> TargetInfo {
        use crate::line_api::{Send, audience_rest, send_of};
        let path = target.map(parse::endpoint_path);
        let p = path.unwrap_or("");
        TargetInfo {
            path: syms.opt(path),
            audience: audience_rest(p).is_some(),
            narrowcast: send_of(p) == Some(Send::Narrowcast),
        }
    }
}

/// The audiences an API call to `target` (see `info`) creates, uses
/// (narrowcast) or deletes.
fn audience_calls(
    method: Option<Method>,
    target: Option<&str>,
    info: TargetInfo,
    rb: Option<&body::RequestBody>,
    resp: Option<&body::ResponseBody>,
) -> Vec<(AudienceOp, String)> {
    use crate::line_api::{AUDIENCE_CREATE as CREATE, audience_rest};
    if !info.audience {
        return if method == Some(Method::Post) && info.narrowcast {
            rb.map(|r| r.audiences.iter().map(|a| (AudienceOp::Used, a.clone())).collect()).unwrap_or_default()
        } else {
            Vec::new()
        };
    }
    let Some(rest) = audience_rest(target.map_or("", parse::endpoint_path)) else { return Vec::new() };
    match method {
        Some(Method::Post) if CREATE.contains(&rest) => {
            resp.and_then(|r| r.audience_group_id.clone()).map(|id| vec![(AudienceOp::Created, id)]).unwrap_or_default()
        }
        Some(Method::Delete) if !rest.is_empty() && !rest.contains('/') => vec![(AudienceOp::Deleted, rest.to_owned())],
        _ => Vec::new(),
    }
}
