//! The registry of line formats: each is a name, one line of description
//! and sample lines with the fields each must give. `linelens formats` lists
//! them; `report` counts each file's lines by format; one test walks every
//! sample. Adding a format is a parser, an id here and one entry below.
//!
//! Detection order (first match wins; see [`super::parse_line`]): a line
//! starting with `{` is JSON (LINE's JSON lines, else a JSON log line);
//! otherwise the guideline's text formats, then access logs, then any line
//! with a leading time.

/// An index into [`FORMATS`].
pub type FormatId = u8;

pub const LINE_TEXT: FormatId = 0;
pub const LINE_JSON: FormatId = 1;
pub const JSON_LOG: FormatId = 2;
pub const NCSA: FormatId = 3;
pub const WERKZEUG: FormatId = 4;
pub const UVICORN: FormatId = 5;
pub const HEROKU_ROUTER: FormatId = 6;
pub const LOGFMT: FormatId = 7;
pub const PHP_SERVER: FormatId = 8;
pub const MORGAN: FormatId = 9;
pub const NGROK: FormatId = 10;
pub const TIMED_TEXT: FormatId = 11;
pub const CRI: FormatId = 12;
pub const SYSLOG: FormatId = 13;
pub const HEROKU_LOGS: FormatId = 14;
pub const KUBECTL: FormatId = 15;
pub const COMPOSE: FormatId = 16;
pub const QUOTED: FormatId = 17;
pub const STERN: FormatId = 18;
pub const CLOUDWATCH: FormatId = 19;
pub const WEBHOOK_BODY: FormatId = 20;
pub const SDK_ERROR: FormatId = 21;
pub const SIGNATURE_FAILURE: FormatId = 22;
pub const WIRE_LOG: FormatId = 23;
pub const WEBHOOK_EVENT: FormatId = 24;

/// One sample line and what it must give: `(field, value)` pairs, with the
/// field names of [`describe`]. An envelope's sample names the format of
/// the line inside as its `format` field when that line is read.
pub struct Sample {
    pub line: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
}

pub struct Format {
    pub name: &'static str,
    pub description: &'static str,
    pub samples: &'static [Sample],
}

pub static FORMATS: &[Format] = &[
    Format {
        name: "line-guideline",
        description: "the LINE guidelines' request and webhook logs (spaces, tabs or Markdown table rows)",
        samples: &[
            Sample {
                line: "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200",
                fields: &[
                    ("kind", "api"),
                    ("time", "2021-07-05T08:14:35.000Z"),
                    ("request_id", "8e36bade-c5d6-4d00-9e69-72244675a9a1"),
                    ("status", "200"),
                ],
            },
            Sample {
                line: "147.92.150.192\t2026-11-20T08:00:00.123Z\tPOST\t/linebot/webhook\t200",
                fields: &[("kind", "webhook"), ("ip", "147.92.150.192"), ("path", "/linebot/webhook")],
            },
            Sample {
                line: "| Mon, 16 Jul 2021 10:20:23 GMT | POST | <https://api.line.me/message/v3/notifier/send?target=service> | 200 |",
                fields: &[("kind", "miniapp"), ("status", "200")],
            },
        ],
    },
    Format {
        name: "line-json",
        description: "JSON lines with a LINE request's or webhook's fields (kind, request_id, endpoint, body, …)",
        samples: &[Sample {
            line: r#"{"kind":"api","time":"2026-11-20T08:00:00.123Z","request_id":"8e36bade-c5d6-4d00-9e69-72244675a9a1","method":"POST","endpoint":"https://api.line.me/v2/bot/message/push","status":429}"#,
            fields: &[("kind", "api"), ("status", "429"), ("endpoint", "https://api.line.me/v2/bot/message/push")],
        }],
    },
    Format {
        name: "json-log",
        description: "JSON log lines of pino, winston, bunyan, structlog, logrus, zap: time, level, message; Cloud Logging's httpRequest and jsonPayload; Caddy's and Traefik's access logs",
        samples: &[
            Sample {
                line: r#"{"level":50,"time":1763625600000,"pid":1,"hostname":"bot","msg":"reply failed"}"#,
                fields: &[
                    ("kind", "log"),
                    ("level", "error"),
                    ("message", "reply failed"),
                    ("time", "2025-11-20T08:00:00.000Z"),
                ],
            },
            Sample {
                line: r#"{"level":"warn","ts":1763625600.5,"caller":"bot/main.go:42","msg":"retrying push"}"#,
                fields: &[
                    ("kind", "log"),
                    ("level", "warn"),
                    ("message", "retrying push"),
                    ("time", "2025-11-20T08:00:00.500Z"),
                ],
            },
            Sample {
                line: r#"{"timestamp":"2026-11-20T08:00:00Z","level":"info","event":"webhook handled"}"#,
                fields: &[("kind", "log"), ("level", "info"), ("message", "webhook handled")],
            },
            Sample {
                line: r#"{"httpRequest":{"requestMethod":"POST","requestUrl":"https://bot-x.a.run.app/callback","status":500,"remoteIp":"147.92.150.195","userAgent":"LineBotWebhook/2.0","latency":"2.512s"},"severity":"ERROR","timestamp":"2026-11-20T08:00:00.5Z"}"#,
                fields: &[
                    ("kind", "webhook"),
                    ("status", "500"),
                    ("ip", "147.92.150.195"),
                    ("path", "/callback"),
                    ("duration_ms", "2512"),
                ],
            },
        ],
    },
    Format {
        name: "ncsa-combined",
        description: "NCSA common/combined access logs: nginx, Apache, gunicorn, Tomcat, morgan combined, Traefik's common log",
        samples: &[
            Sample {
                line: r#"10.24.4.132 - - [23/Apr/2026:03:44:54 +0000] "POST /callback HTTP/1.1" 200 334 "-" "LineBotWebhook/2.0""#,
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2026-04-23T03:44:54.000Z"),
                    ("ip", "10.24.4.132"),
                    ("path", "/callback"),
                    ("status", "200"),
                    ("user_agent", "LineBotWebhook/2.0"),
                ],
            },
            Sample {
                line: r#"::ffff:147.92.150.193 - - [20/Nov/2026:08:00:00 +0900] "POST /bot/hook HTTP/1.1" 500 21 "-" "LineBotWebhook/2.0" 0.812"#,
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2026-11-19T23:00:00.000Z"),
                    ("ip", "147.92.150.193"),
                    ("status", "500"),
                    ("duration_ms", "812"),
                ],
            },
            Sample {
                line: r#"127.0.0.1 - - [23/Apr/2026:03:45:19 +0000] "HEAD / HTTP/1.1" 200 0 "-" "Go-http-client/1.1""#,
                fields: &[("kind", "http"), ("method", "HEAD"), ("path", "/"), ("status", "200")],
            },
            Sample {
                line: r#"10.0.0.5 - frank [20/Nov/2026:08:00:00 +0000] "POST /callback HTTP/1.0" 401 12"#,
                fields: &[("kind", "webhook"), ("status", "401"), ("ip", "10.0.0.5")],
            },
            Sample {
                line: r#"192.168.1.1 - - [20/Nov/2026:08:00:00 +0000] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0" 1 "bot@docker" "http://10.0.0.2:80" 3ms"#,
                fields: &[("kind", "webhook"), ("ip", "192.168.1.1"), ("duration_ms", "3")],
            },
        ],
    },
    Format {
        name: "werkzeug",
        description: "Flask's development server (Werkzeug), bare or through Python's logging",
        samples: &[
            Sample {
                line: r#"127.0.0.1 - - [13/Nov/2018 10:43:13] "POST /callback HTTP/1.1" 400 -"#,
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2018-11-13T10:43:13.000Z"),
                    ("ip", "127.0.0.1"),
                    ("status", "400"),
                ],
            },
            Sample {
                line: r#"2025-07-13 23:45:53,734 - werkzeug - INFO - 127.0.0.1 - - [13/Jul/2025 23:45:53] "POST /callback HTTP/1.1" 400 -"#,
                fields: &[("kind", "webhook"), ("time", "2025-07-13T23:45:53.000Z"), ("status", "400")],
            },
            Sample {
                line: r#"INFO:werkzeug:127.0.0.1 - - [13/May/2025 08:21:12] "POST /callback HTTP/1.1" 200 -"#,
                fields: &[("kind", "webhook"), ("ip", "127.0.0.1"), ("status", "200")],
            },
        ],
    },
    Format {
        name: "uvicorn",
        description: "uvicorn's access lines (FastAPI, Starlette): client address and port, no time",
        samples: &[
            Sample {
                line: r#"INFO:     147.92.150.198:0 - "POST /callback HTTP/1.1" 500 Internal Server Error"#,
                fields: &[("kind", "webhook"), ("ip", "147.92.150.198"), ("status", "500"), ("time", "-")],
            },
            Sample {
                line: r#"INFO:     2001:b011:15:72db:54cf:69b7:f916:106:0 - "GET /health HTTP/1.1" 200 OK"#,
                fields: &[("kind", "http"), ("ip", "2001:b011:15:72db:54cf:69b7:f916:106"), ("path", "/health")],
            },
        ],
    },
    Format {
        name: "heroku-router",
        description: "Heroku's router lines (logfmt with fwd=, service=), with or without `heroku logs`' prefix",
        samples: &[Sample {
            line: r#"2020-05-12T06:33:53.370531+00:00 heroku[router]: at=info method=POST path="/callback" host=gspace.herokuapp.com request_id=4490fb5a-1f1c-4eec-94ff-20fab045b88e fwd="147.92.150.194" dyno=web.1 connect=0ms service=89ms status=200 bytes=161 protocol=https"#,
            fields: &[
                ("kind", "webhook"),
                ("time", "2020-05-12T06:33:53.370Z"),
                ("ip", "147.92.150.194"),
                ("status", "200"),
                ("duration_ms", "89"),
                ("path", "/callback"),
            ],
        }],
    },
    Format {
        name: "logfmt-access",
        description: "logfmt lines with method, path and status (Go and Ruby servers, Traefik's common log)",
        samples: &[Sample {
            line: r#"time=2026-11-20T08:00:00Z level=info method=GET path=/healthz status=200 duration=3ms remote_addr=10.0.0.1"#,
            fields: &[("kind", "http"), ("status", "200"), ("duration_ms", "3"), ("ip", "10.0.0.1")],
        }],
    },
    Format {
        name: "php-server",
        description: "PHP's built-in web server (`php -S`)",
        samples: &[Sample {
            line: "127.0.0.1:55945 [200]: POST /callback - Uncaught DI\\NotFoundException: No entry",
            fields: &[("kind", "webhook"), ("ip", "127.0.0.1"), ("status", "200"), ("path", "/callback")],
        }],
    },
    Format {
        name: "morgan",
        description: "Express morgan's dev, short and tiny formats (no time)",
        samples: &[
            Sample {
                line: "POST /callback 200 12.345 ms - 2",
                fields: &[("kind", "webhook"), ("status", "200"), ("duration_ms", "12")],
            },
            Sample {
                line: "::1 - POST /webhook HTTP/1.1 500 21 - 3.209 ms",
                fields: &[("kind", "webhook"), ("status", "500"), ("ip", "::1"), ("duration_ms", "3")],
            },
        ],
    },
    Format {
        name: "ngrok",
        description: "ngrok's console request list",
        samples: &[Sample {
            line: "POST /callback                 400 BAD REQUEST",
            fields: &[("kind", "webhook"), ("status", "400")],
        }],
    },
    Format {
        name: "timed-text",
        description: "any other line with a leading time (Python logging, Flask, gunicorn, Go log, Spring Boot, Rails, logback, Apache errors)",
        samples: &[
            Sample {
                line: "2025-07-13 23:45:53,732 - modules.routes.webhook - ERROR - handler failed",
                fields: &[("kind", "log"), ("level", "error"), ("time", "2025-07-13T23:45:53.732Z")],
            },
            Sample {
                line: "[2026-04-23 03:45:19 +0000] [58] [INFO] Starting gunicorn 25.3.0",
                fields: &[("kind", "log"), ("level", "info"), ("message", "Starting gunicorn 25.3.0")],
            },
            Sample {
                line: "2022/04/13 06:19:44 provider.go:117: Defaulting client-id",
                fields: &[("kind", "log"), ("time", "2022-04-13T06:19:44.000Z"), ("level", "-")],
            },
            Sample {
                line: "[2023-04-01 23:48:37,569] ERROR in app: Exception on /callback [POST]",
                fields: &[("kind", "log"), ("level", "error"), ("message", "in app: Exception on /callback [POST]")],
            },
            Sample {
                line: r#"2026-11-20T08:00:00.123456789Z {"level":"warn","msg":"retrying push"}"#,
                fields: &[
                    ("kind", "log"),
                    ("level", "warn"),
                    ("format", "json-log"),
                    ("time", "2026-11-20T08:00:00.123Z"),
                ],
            },
            Sample {
                line: "  [pipeline_20260319.log] 2026-03-19 07:10:00,725 ERROR LINE notification failed",
                fields: &[("kind", "log"), ("level", "error"), ("message", "LINE notification failed")],
            },
            Sample {
                line: "08:00:02.123 [main] ERROR c.e.bot.Callback - reply failed",
                fields: &[
                    ("kind", "log"),
                    ("level", "error"),
                    ("time", "-"),
                    ("message", "c.e.bot.Callback - reply failed"),
                ],
            },
            Sample {
                line: "08:00:01 POST /callback 200 12.345 ms - 2",
                fields: &[("kind", "webhook"), ("time", "-"), ("duration_ms", "12"), ("format", "morgan")],
            },
            Sample {
                line: "2026/11/20 08:00:00.123\tINFO\thttp.log.access\thandled request\t{\"request\": {\"remote_ip\": \"203.0.113.5\", \"method\": \"POST\", \"uri\": \"/callback\", \"headers\": {\"User-Agent\": [\"LineBotWebhook/2.0\"]}}, \"duration\": 0.012, \"status\": 200}",
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2026-11-20T08:00:00.123Z"),
                    ("ip", "203.0.113.5"),
                    ("duration_ms", "12"),
                    ("format", "json-log"),
                ],
            },
        ],
    },
    Format {
        name: "cri",
        description: "envelope: Kubernetes CRI log files (containerd, CRI-O): TIME stdout|stderr F|P line",
        samples: &[
            Sample {
                line: "2020-01-26T03:17:29.346494690+00:00 stderr F 2020/01/26 03:17:29 provider.go:117: Defaulting client-id",
                fields: &[
                    ("kind", "log"),
                    ("origin", "stderr"),
                    ("time", "2020-01-26T03:17:29.000Z"),
                    ("format", "timed-text"),
                ],
            },
            Sample {
                line: r#"2026-11-20T08:00:01.5Z stdout F {"level":50,"pid":1,"msg":"reply failed"}"#,
                fields: &[
                    ("kind", "log"),
                    ("level", "error"),
                    ("origin", "stdout"),
                    ("time", "2026-11-20T08:00:01.500Z"),
                    ("format", "json-log"),
                ],
            },
            Sample {
                line: "2020-12-07T15:32:38.994574754Z stdout P Hello from init container!",
                fields: &[
                    ("kind", "log"),
                    ("origin", "stdout"),
                    ("time", "2020-12-07T15:32:38.994Z"),
                    ("message", "Hello from init container!"),
                ],
            },
        ],
    },
    Format {
        name: "syslog",
        description: "envelope: syslog RFC 5424 (Heroku log drains, octet-counted or not) and RFC 3164, journalctl's short output",
        samples: &[
            Sample {
                line: r#"09 Mar 2020 11:27:45.724309 <158>1 2020-03-09T03:27:45.206870+00:00 heroku router - - at=info method=POST path="/callback" host=x.herokuapp.com fwd="147.92.150.196" dyno=web.1 connect=1ms service=5ms status=200 bytes=137"#,
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2020-03-09T03:27:45.206Z"),
                    ("ip", "147.92.150.196"),
                    ("origin", "heroku router"),
                    ("format", "heroku-router"),
                ],
            },
            Sample {
                line: "<13>1 2026-11-20T08:00:00Z bot-1 app 42 - - worker started",
                fields: &[
                    ("kind", "log"),
                    ("time", "2026-11-20T08:00:00.000Z"),
                    ("origin", "bot-1 app[42]"),
                    ("message", "worker started"),
                ],
            },
            Sample {
                line: "2015-02-04T20:54:13+0000 journalme sshd[937]: Connection closed by 83.234.207.60 [preauth]",
                fields: &[("kind", "log"), ("origin", "journalme sshd[937]"), ("time", "2015-02-04T20:54:13.000Z")],
            },
            Sample {
                line: "Feb 04 20:54:13 journalme sshd[937]: Connection closed by 83.234.207.60 [preauth]",
                fields: &[
                    ("kind", "log"),
                    ("origin", "journalme sshd[937]"),
                    ("message", "Connection closed by 83.234.207.60 [preauth]"),
                ],
            },
        ],
    },
    Format {
        name: "heroku-logs",
        description: "envelope: `heroku logs` lines, TIME app[web.1]: line / TIME heroku[router]: line",
        samples: &[
            Sample {
                line: r#"2020-05-12T06:33:53.365420+00:00 app[web.1]: 10.113.192.240 - - [12/May/2020:14:33:53 +0800] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/1.0""#,
                fields: &[
                    ("kind", "webhook"),
                    ("time", "2020-05-12T06:33:53.000Z"),
                    ("origin", "app[web.1]"),
                    ("format", "ncsa-combined"),
                ],
            },
            Sample {
                line: "2020-05-12T06:33:58.642992+00:00 app[web.1]: ***debug msg[Checking]---:",
                fields: &[("kind", "log"), ("origin", "app[web.1]"), ("time", "2020-05-12T06:33:58.642Z")],
            },
        ],
    },
    Format {
        name: "kubectl-prefix",
        description: "envelope: `kubectl logs --prefix`, [pod/NAME/CONTAINER] line",
        samples: &[Sample {
            line: r#"[pod/echo-req-7cfd7bf68f-nk5kr/hello] 172.17.0.1 - - [22/Nov/2020:17:19:05 +0000] "GET /test HTTP/1.1" 200 7269 "-" "Mozilla/5.0""#,
            fields: &[("kind", "http"), ("origin", "pod/echo-req-7cfd7bf68f-nk5kr/hello"), ("format", "ncsa-combined")],
        }],
    },
    Format {
        name: "compose",
        description: "envelope: `docker compose logs`, service-1  | line (colours removed)",
        samples: &[Sample {
            line: "db_1            | [2020-03-09T05:34:52,969][WARN ][r.suppressed             ] path: /_msearch",
            fields: &[("kind", "log"), ("origin", "db_1"), ("level", "warn"), ("format", "timed-text")],
        }],
    },
    Format {
        name: "json-string",
        description: "envelope: a line written out as a JSON string (a notebook's outputs), \"…\\n\",",
        samples: &[Sample {
            line: r#"    "INFO:werkzeug:127.0.0.1 - - [13/May/2025 08:21:12] \"POST /callback HTTP/1.1\" 200 -\n","#,
            fields: &[("kind", "webhook"), ("status", "200"), ("format", "werkzeug")],
        }],
    },
    Format {
        name: "stern",
        description: "envelope: stern's output, [NAMESPACE ]POD CONTAINER line (colours removed)",
        samples: &[
            Sample {
                line: r#"bot-7cfd7bf68f-nk5kr web 10.0.0.1 - - [22/Nov/2026:17:19:05 +0000] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0""#,
                fields: &[("kind", "webhook"), ("origin", "bot-7cfd7bf68f-nk5kr/web"), ("format", "ncsa-combined")],
            },
            Sample {
                line: "\x1b[32mprod\x1b[0m \x1b[32mbot-7cfd7bf68f-nk5kr\x1b[0m \x1b[33mweb\x1b[0m 2026-11-20T08:00:00.5Z ERROR reply failed",
                fields: &[
                    ("kind", "log"),
                    ("origin", "prod/bot-7cfd7bf68f-nk5kr/web"),
                    ("level", "error"),
                    ("time", "2026-11-20T08:00:00.500Z"),
                    ("format", "timed-text"),
                ],
            },
        ],
    },
    Format {
        name: "cloudwatch",
        description: "envelope: `aws logs tail` (detailed: TIME STREAM line; short: TIME line); CloudWatch's JSON events are read as JSON",
        samples: &[
            Sample {
                line: "2026-11-20T08:00:00.123000+00:00 2026/11/20/[$LATEST]f897b8fa9432936332 ERROR reply failed: 429",
                fields: &[
                    ("kind", "log"),
                    ("origin", "2026/11/20/[$LATEST]f897b8fa9432936332"),
                    ("time", "2026-11-20T08:00:00.123Z"),
                    ("level", "error"),
                ],
            },
            Sample {
                line: r#"2026-11-20T08:00:00.123000+00:00 ecs/bot/5e2f 203.0.113.9 - - [20/Nov/2026:08:00:00 +0000] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0""#,
                fields: &[("kind", "webhook"), ("origin", "ecs/bot/5e2f"), ("format", "ncsa-combined")],
            },
        ],
    },
    Format {
        name: "webhook-body",
        description: "a webhook body (destination and events) a bot logged: alone, pretty-printed, or after a prefix on a line",
        samples: &[
            Sample {
                line: r#"2025-07-13 23:45:53,731 - modules - INFO - Request body: {"destination":"Ucc206ebd78da70606bb7c21b0faeea45","events":[{"type":"message","replyToken":"3dc8371c","source":{"type":"user","userId":"Udd6d10d2a6f1b465a20be447a2172c78"},"timestamp":1752421553000,"message":{"type":"text","id":"1","text":"hi"}}]}"#,
                fields: &[("kind", "webhook"), ("time", "2025-07-13T23:45:53.731Z")],
            },
            Sample {
                line: r#"{"destination":"U5466a09bc7f0d9208412c3ca774da7af","events":[]}"#,
                fields: &[("kind", "webhook"), ("time", "-")],
            },
        ],
    },
    Format {
        name: "sdk-error",
        description: "what LINE's SDKs print when a call fails (Python, Node, Java, Go, PHP; requests' and a bot's own `LINE API error: 429`), and a bot's own line with LINE's answer to a send (`sentMessages`)",
        samples: &[
            Sample {
                line: r#"2026-04-23 03:44:57,315 | INFO | [trc_2b6c] LINE_REPLY_HTTP status_code=200 body="{\"sentMessages\":[{\"id\":\"610832586239115402\",\"quoteToken\":\"Ieb9\"}]}""#,
                fields: &[
                    ("kind", "api"),
                    ("status", "200"),
                    ("endpoint", "/v2/bot/message/reply"),
                    ("time", "2026-04-23T03:44:57.315Z"),
                ],
            },
            Sample {
                line: r#"linebot.exceptions.LineBotApiError: LineBotApiError: status_code=400, request_id=f3a62d1e-fe44-4848-995f-88013d707d95, error_response={"details": [], "message": "Invalid reply token"}, headers={}"#,
                fields: &[
                    ("kind", "api"),
                    ("status", "400"),
                    ("request_id", "f3a62d1e-fe44-4848-995f-88013d707d95"),
                    ("endpoint", "unknown"),
                    ("message", "Invalid reply token"),
                ],
            },
            Sample {
                line: "2022/04/13 06:19:44 linebot: APIError 429 You have reached your monthly limit.",
                fields: &[
                    ("kind", "api"),
                    ("status", "429"),
                    ("time", "2022-04-13T06:19:44.000Z"),
                    ("message", "You have reached your monthly limit."),
                ],
            },
            Sample {
                line: "Caused by: com.linecorp.bot.client.exception.BadRequestException: Invalid reply token : ErrorResponse(requestId=xxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, message=Invalid reply token, details=[])",
                fields: &[("kind", "api"), ("status", "400"), ("request_id", "-"), ("message", "Invalid reply token")],
            },
            Sample {
                line: "2026-11-20 08:00:00.123 ERROR c.e.Bot - API returns error: code=429 requestUrl=https://api.line.me/v2/bot/message/push x-line-request-id=8e36bade-c5d6-4d00-9e69-72244675a9a1 error='{\"message\":\"The API rate limit has been exceeded. Try again later.\"}' details='[]'",
                fields: &[
                    ("kind", "api"),
                    ("status", "429"),
                    ("endpoint", "https://api.line.me/v2/bot/message/push"),
                    ("request_id", "8e36bade-c5d6-4d00-9e69-72244675a9a1"),
                    ("message", "The API rate limit has been exceeded. Try again later."),
                ],
            },
            Sample {
                line: "HTTPFetchError: 429 - Too Many Requests",
                fields: &[("kind", "api"), ("status", "429"), ("time", "-")],
            },
            Sample {
                line: r#"Error: Error: Request failed with status code 400 {"message":"The property, 'to', in the request body is invalid (line:-, column:-)"}"#,
                fields: &[("kind", "api"), ("status", "400")],
            },
            Sample {
                line: "[400] Client error: `POST https://api.line.me/v2/bot/message/reply` resulted in a `400 Bad Request` response:",
                fields: &[
                    ("kind", "api"),
                    ("status", "400"),
                    ("method", "POST"),
                    ("endpoint", "https://api.line.me/v2/bot/message/reply"),
                ],
            },
            Sample {
                line: "2026-03-19 07:00:05,172 ERROR plain text send error: 429 Client Error: Too Many Requests for url: https://api.line.me/v2/bot/message/push",
                fields: &[("kind", "api"), ("status", "429"), ("endpoint", "https://api.line.me/v2/bot/message/push")],
            },
            Sample {
                line: r#"2026-03-19 07:10:00,724 ERROR LINE API error: 429 {"message":"You have reached your monthly limit."}"#,
                fields: &[("kind", "api"), ("status", "429"), ("message", "You have reached your monthly limit.")],
            },
            // Entries of several lines, as read together (see `gather`):
            // Python v3's ApiException, printed by a bot that names the call.
            Sample {
                line: "2026-11-20 08:00:00,123 ERROR Exception when calling MessagingApi->reply_message: (400)\nReason: Bad Request\nHTTP response headers: HTTPHeaderDict({'content-type': 'application/json', 'x-line-request-id': 'f3a62d1e-fe44-4848-995f-88013d707d95'})\nHTTP response body: {\"message\":\"Invalid reply token\"}",
                fields: &[
                    ("kind", "api"),
                    ("status", "400"),
                    ("endpoint", "/v2/bot/message/reply"),
                    ("request_id", "f3a62d1e-fe44-4848-995f-88013d707d95"),
                    ("message", "Invalid reply token"),
                    ("time", "2026-11-20T08:00:00.123Z"),
                ],
            },
            // The v3 README's three lines after a `*_with_http_info` call.
            Sample {
                line: "[2026-11-20 08:00:00,123] INFO in app: Got response with http status code: 400\n[2026-11-20 08:00:00,124] INFO in app: Got x-line-request-id: 3b1e0c52-6a6b-4b8e-9d7f-0c2b1f6e8a11\n[2026-11-20 08:00:00,124] INFO in app: Got response with http body: message='Invalid reply token' details=None sent_messages=None",
                fields: &[
                    ("kind", "api"),
                    ("status", "400"),
                    ("request_id", "3b1e0c52-6a6b-4b8e-9d7f-0c2b1f6e8a11"),
                    ("message", "Invalid reply token"),
                ],
            },
            // A Node SDK v8 error dumped by console.error.
            Sample {
                line: "HTTPFetchError: 429 - Too Many Requests\n    at HTTPFetchClient.checkResponseStatus (/app/node_modules/@line/bot-sdk/dist/http-fetch.js:113:19) {\n  status: 429,\n  statusText: 'Too Many Requests',\n  headers: Headers { 'content-type': 'application/json', 'x-line-request-id': '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d' },\n  body: '{\"message\":\"You have reached your monthly limit.\"}'\n}",
                fields: &[
                    ("kind", "api"),
                    ("status", "429"),
                    ("request_id", "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"),
                    ("message", "You have reached your monthly limit."),
                ],
            },
            // PHP (Guzzle) with LINE's body on the next line.
            Sample {
                line: "[400] Client error: `POST https://api.line.me/v2/bot/message/push` resulted in a `400 Bad Request` response:\n{\"message\":\"The property, 'to', in the request body is invalid (line:-, column:-)\"}",
                fields: &[
                    ("kind", "api"),
                    ("status", "400"),
                    ("message", "The property, 'to', in the request body is invalid (line:-, column:-)"),
                ],
            },
            // Ruby: a Net::HTTP response and its body as `p` prints them.
            Sample {
                line: "#<Net::HTTPTooManyRequests 429 Too Many Requests readbody=true>\n\"{\\\"message\\\":\\\"The API rate limit has been exceeded. Try again later.\\\"}\"",
                fields: &[
                    ("kind", "api"),
                    ("status", "429"),
                    ("message", "The API rate limit has been exceeded. Try again later."),
                ],
            },
            // The Go SDK v8 clients' error.
            Sample {
                line: r#"2026/11/20 08:00:00 push failed: unexpected status code: 429, {"message":"You have reached your monthly limit."}"#,
                fields: &[("kind", "api"), ("status", "429"), ("message", "You have reached your monthly limit.")],
            },
        ],
    },
    Format {
        name: "signature-failure",
        description: "a line reporting a rejected webhook signature (InvalidSignatureError, SignatureValidationFailed, …): a receipt, signature invalid or missing",
        samples: &[
            Sample {
                line: "2025-07-13 23:45:53,732 - modules.routes.webhook - ERROR - 無效的簽名",
                fields: &[("kind", "webhook"), ("time", "2025-07-13T23:45:53.732Z")],
            },
            Sample {
                line: "linebot.v3.exceptions.InvalidSignatureError: Invalid signature. signature=abc",
                fields: &[("kind", "webhook")],
            },
            Sample {
                line: "2026-05-29 01:00:00 WARNING missing x-line-signature header from 127.0.0.1 body_len=2",
                fields: &[("kind", "webhook")],
            },
        ],
    },
    Format {
        name: "wire-log",
        description: "the Java SDK's wire log (OkHttp's logging interceptor, logger com.linecorp.bot.client.wire): one exchange from `--> POST URL` to `<-- END HTTP`",
        samples: &[
            Sample {
                line: "2026-11-20 08:00:00.100  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : --> POST https://api.line.me/v2/bot/message/push\n2026-11-20 08:00:00.100  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : X-Line-Retry-Key: 0b6a1f4e-3c1d-4e7a-9a55-2f0b8c7d6e5f\n2026-11-20 08:00:00.100  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : \n2026-11-20 08:00:00.100  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : {\"to\":\"U4af4980629a0f1a5e3f5e3d3b9b1e0c1\",\"messages\":[{\"type\":\"text\",\"text\":\"hi\"}]}\n2026-11-20 08:00:00.100  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : --> END POST (82-byte body)\n2026-11-20 08:00:00.323  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : <-- 429 https://api.line.me/v2/bot/message/push (223ms)\n2026-11-20 08:00:00.323  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : x-line-request-id: 9d3a6c1e-2b4f-4e8a-b7c6-1f0e2d3c4b5a\n2026-11-20 08:00:00.323  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : \n2026-11-20 08:00:00.323  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : {\"message\":\"You have reached your monthly limit.\"}\n2026-11-20 08:00:00.323  INFO 1 --- [nio-8080-exec-1] c.l.bot.client.wire : <-- END HTTP (52-byte body)",
                fields: &[
                    ("kind", "api"),
                    ("method", "POST"),
                    ("endpoint", "https://api.line.me/v2/bot/message/push"),
                    ("status", "429"),
                    ("request_id", "9d3a6c1e-2b4f-4e8a-b7c6-1f0e2d3c4b5a"),
                    ("retry_key", "0b6a1f4e-3c1d-4e7a-9a55-2f0b8c7d6e5f"),
                    ("message", "You have reached your monthly limit."),
                    ("time", "2026-11-20T08:00:00.100Z"),
                ],
            },
            // A response logged on its own (its request interleaved with other lines).
            Sample {
                line: "12:19:43.350 [OkHttp https://api.line.me/...] INFO  com.linecorp.bot.client.wire - <-- 200 OK https://api.line.me/v2/bot/message/reply (223ms, 2-byte body)",
                fields: &[("kind", "api"), ("status", "200"), ("endpoint", "https://api.line.me/v2/bot/message/reply")],
            },
        ],
    },
    Format {
        name: "webhook-event",
        description: "one webhook event a bot logged without its body (JSON after a prefix, a Python dict, the Python SDK's model repr, or a field of a logged object): a receipt holding that event",
        samples: &[
            Sample {
                line: r#"2026-11-20 08:00:00,250 INFO [LOG] Timeout {"type":"message","userId":"U_7","timestamp":1763625600000,"mode":"active","message":{"type":"image","id":"11565161151380","contentProvider":{"type":"line"}}}"#,
                fields: &[("kind", "webhook"), ("time", "2026-11-20T08:00:00.250Z")],
            },
            Sample {
                line: "[EVENT_DUMP] repr=MessageEvent(type='message', source=UserSource(type='user', user_id='U9fde03d0fe1e0669eccc8b9b4ecc28a6'), timestamp=1763625600000, mode=<EventMode.ACTIVE: 'active'>, webhook_event_id='01KSP930SY7SDGA912HBEFGM8N', delivery_context=DeliveryContext(is_redelivery=True), reply_token='6c86346de40a4cf0b62d3962ae1f0fe2', message=TextMessageContent(type='text', id='615902725237899951', text='hi'))",
                fields: &[("kind", "webhook"), ("time", "2025-11-20T08:00:00.000Z")],
            },
            Sample {
                line: r#"{"CONTEXT":{"state":"CHOOSING_ARTICLE"},"INPUT":{"type":"postback","userId":"Uc4857b40c0bd8026e1b0","timestamp":1514766627799,"postback":{"data":"{\"input\":1}"}},"OUTPUT":{"replies":[]}}"#,
                fields: &[("kind", "webhook"), ("time", "2018-01-01T00:30:27.799Z")],
            },
        ],
    },
];

/// The fields of a record line by name, as the samples state them (`-` for
/// absent): kind, time (RFC 3339), method, path, endpoint, status, ip,
/// request_id, level, message, user_agent, duration_ms, origin, format.
pub fn describe(line: &super::Line, field: &str) -> String {
    let f = &line.fields;
    let s = |v: Option<&str>| v.unwrap_or("-").to_owned();
    match field {
        "kind" => line.kind.as_str().to_owned(),
        "time" => {
            if f.time == i64::MIN {
                "-".into()
            } else {
                crate::time::format_rfc3339(f.time)
            }
        }
        "method" => f.method.map_or("-".into(), |m| m.as_str().to_owned()),
        "path" => s(f.path.as_deref()),
        "endpoint" => s(f.endpoint.as_deref()),
        "status" => {
            if f.status == 0 {
                "-".into()
            } else {
                f.status.to_string()
            }
        }
        "ip" => s(f.ip.as_deref()),
        "request_id" => s(f.request_id.as_deref()),
        "retry_key" => s(f.retry_key.as_deref()),
        "level" => f.level.map_or("-".into(), |l| l.as_str().to_owned()),
        "message" => s(f.message.as_deref()),
        "user_agent" => s(f.user_agent.as_deref()),
        "duration_ms" => f.duration_ms.map_or("-".into(), |d| d.to_string()),
        "origin" => s(f.origin.as_deref()),
        "user_id" => s(f.user_id.as_deref()),
        "format" => super::format_name(line.format).to_owned(),
        _ => format!("(no field {field})"),
    }
}

/// `docs/formats.md`, made from [`FORMATS`]: each format with its
/// description and samples, and the fields each sample gives.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Line formats\n\n\
         <!-- Made from src/parse/formats.rs by `cargo test`; edit the registry there. -->\n\n\
         Every line is classified on its own, so a file may mix formats. Formats are tried in this \
         order (JSON first when a line starts with `{`); the first that reads a line wins. A line no \
         format reads is counted as `unparsed` and shown, never dropped. `linelens formats` prints \
         this list; the config file's `[[formats]]` adds formats of your own, tried first (see \
         [the guide](guide.md#configuration)). An *envelope* (a container runtime's or log \
         shipper's prefix) is taken off and the line inside is read as any other.\n\n",
    );
    for f in FORMATS {
        s.push_str(&format!("## `{}`\n\n{}\n\n", f.name, capitalised(f.description)));
        for x in f.samples {
            s.push_str(&format!("```text\n{}\n```\n\n", x.line));
            let fields: Vec<String> = x.fields.iter().map(|(k, v)| format!("{k} `{v}`")).collect();
            if !fields.is_empty() {
                s.push_str(&format!("gives {}\n\n", fields.join(", ")));
            }
        }
    }
    s.truncate(s.trim_end().len());
    s.push('\n');
    s
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default() + "."
}
