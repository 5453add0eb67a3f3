// Content negotiation for the static site in nginx (njs), as pledge_graph/web/negotiation.py
// does it for `pledge-graph serve`: a `format` parameter (key, media type or other name)
// overrides Accept; otherwise the q-values decide, a more specific range wins over a wildcard
// at equal q, and the server's order breaks ties; nothing fits (or an Accept header that
// cannot be read): 406 listing what would. The table is written by `pledge-graph export-site`
// from the server's own table of formats.

import fs from 'fs';

var SITE = /*SITE*/;

var RANGE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/;
var NUMBER = /^\s*[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?\s*$/;

function offered(kinds) {
    var out = [];
    kinds.forEach(function (kind) {
        SITE.formats.forEach(function (f) {
            if (f.kinds.indexOf(kind) >= 0 && out.indexOf(f) < 0) {
                out.push(f);
            }
        });
    });
    return out;
}

// The (media range, q) pairs of an Accept header; null when it cannot be read.
function parseAccept(header) {
    var ranges = [];
    var parts = header.split(",");
    for (var i = 0; i < parts.length; i++) {
        if (!parts[i].trim()) {
            continue;
        }
        var pieces = parts[i].split(";").map(function (p) { return p.trim(); });
        var media = pieces[0];
        if (!RANGE.test(media) || (media.startsWith("*/") && media !== "*/*")) {
            return null;
        }
        var q = 1.0;
        for (var j = 1; j < pieces.length; j++) {
            var at = pieces[j].indexOf("=");
            var name = at < 0 ? pieces[j] : pieces[j].slice(0, at);
            var value = at < 0 ? "" : pieces[j].slice(at + 1);
            if (name.trim().toLowerCase() === "q") {
                if (!NUMBER.test(value)) {
                    return null;
                }
                q = Number(value.trim().replace(/_/g, ""));
                if (!(q >= 0 && q <= 1)) {
                    return null;
                }
            }
        }
        ranges.push([media.toLowerCase(), q]);
    }
    return ranges;
}

// [q, specificity] of the most specific range matching format f; null if none does.
function score(f, ranges) {
    var found = null;
    ranges.forEach(function (range) {
        var media = range[0];
        var q = range[1];
        var specificity;
        if (media === f.media_type || f.aliases.indexOf(media) >= 0) {
            specificity = media === f.media_type ? 2 : 1;
        } else if (media.endsWith("/*") && f.media_type.startsWith(media.slice(0, -1))) {
            specificity = 0;
        } else if (media === "*/*") {
            specificity = -1;
        } else {
            return;
        }
        if (found === null || specificity > found[1] || (specificity === found[1] && q > found[0])) {
            found = [q, specificity];
        }
    });
    return found;
}

function greater(a, b) {
    for (var i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) {
            return a[i] > b[i];
        }
    }
    return false;
}

// The format to answer in, or null (406).
function negotiate(accept, kinds, fmt) {
    var formats = offered(kinds);
    if (fmt) {
        var wanted = fmt.trim().toLowerCase();
        for (var i = 0; i < formats.length; i++) {
            var f = formats[i];
            if (wanted === f.key || wanted === f.media_type || f.names.indexOf(wanted) >= 0
                    || f.aliases.indexOf(wanted) >= 0) {
                return f;
            }
        }
        return null;
    }
    if (!accept || !accept.trim()) {
        return formats[0];
    }
    var ranges = parseAccept(accept);
    if (ranges === null) {
        return null;
    }
    var best = null;
    var chosen = null;
    formats.forEach(function (f, index) {
        var s = score(f, ranges);
        if (s === null) {
            return;
        }
        var key = [s[0], s[1], -index];
        if (s[0] > 0 && (best === null || greater(key, best))) {
            best = key;
            chosen = f;
        }
    });
    return chosen;
}

// The last value of `name` in the query string, decoded as the server's framework does
// (`+` is a space); "" when absent.
function queryParameter(r, name) {
    var args = r.variables.args || "";
    var found = "";
    args.split("&").forEach(function (pair) {
        var at = pair.indexOf("=");
        var key = at < 0 ? pair : pair.slice(0, at);
        if (decode(key) === name) {
            found = at < 0 ? "" : decode(pair.slice(at + 1));
        }
    });
    return found;
}

function decode(text) {
    var plain = text.replace(/\+/g, " ");
    try {
        return decodeURIComponent(plain);
    } catch (e) {
        return plain;
    }
}

// The path asked for (the location keeps it before it maps the path onto a file).
function path(r) {
    return r.variables.pledge_graph_path || r.uri;
}

function kindsOf(r) {
    return SITE.graphs.indexOf(path(r)) >= 0 ? ["graph"] : ["page", "graph"];
}

function chosen(r) {
    return negotiate(r.headersIn["Accept"], kindsOf(r), queryParameter(r, "format"));
}

// js_set: the key of the format to answer a request in, "" when nothing fits.
function format(r) {
    var f = chosen(r);
    return f === null ? "" : f.key;
}

// js_set: the Link header of an HTML page, naming each RDF variant.
function link(r) {
    var f = chosen(r);
    if (f === null || f.key !== "html") {
        return "";
    }
    return offered(["graph"]).map(function (g) {
        return "<" + path(r) + "?format=" + g.key + '>; rel="alternate"; type="' + g.media_type + '"';
    }).join(", ");
}

function reason(r) {
    var fmt = queryParameter(r, "format");
    var accept = r.headersIn["Accept"];
    if (fmt) {
        return "format '" + fmt + "' is not offered here";
    }
    if (parseAccept(accept) === null) {
        return "cannot read the Accept header";
    }
    return "none of the offered media types is acceptable (" + accept + ")";
}

// js_content: the 406 answer, listing the formats available here.
function notAcceptable(r) {
    var lines = ["406 Not Acceptable: " + reason(r), "", "Available here:"];
    offered(kindsOf(r)).forEach(function (f) {
        lines.push("  " + f.media_type + "  (" + path(r) + "?format=" + f.key + ")");
    });
    r.headersOut["Content-Type"] = "text/plain; charset=utf-8";
    r.headersOut["Vary"] = "Accept";
    r.return(406, lines.join("\n") + "\n");
}

// [the fact's path, the part] when a slash IRI asked for was replaced by a hash part of a
// fact's document (/id/fact/F/quote is now /id/fact/F#quote) that the fact's description
// holds (read from its N-Triples file); else null.
function movedPart(r, asked) {
    var at = asked.lastIndexOf("/");
    var part = asked.slice(at + 1);
    var document = asked.slice(0, at);
    if (!asked.startsWith("/id/fact/") || SITE.moved.indexOf(part) < 0) {
        return null;
    }
    var described;
    try {
        described = fs.readFileSync(r.variables.document_root + "/resources" + document + ".nt",
                                    "utf8");
    } catch (e) {
        return null;
    }
    var subject = "<" + SITE.base + document.slice(1) + "#" + part + "> ";
    return described.startsWith(subject) || described.indexOf("\n" + subject) >= 0
        ? [document, part] : null;
}

// js_content: the 404 answer of a resource or a dump that is not in the release; 301 for
// a fact's part that now has a hash IRI, as the server answers.
function notFound(r) {
    var text;
    var asked = path(r);
    var moved = movedPart(r, asked);
    if (moved !== null) {
        var query = r.variables.args ? "?" + r.variables.args : "";
        r.status = 301;
        r.headersOut["Location"] = moved[0] + query + "#" + moved[1];
        r.headersOut["Content-Type"] = "text/plain; charset=utf-8";
        text = "301 Moved Permanently: <" + SITE.base + asked.slice(1) + "> is now <" +
            SITE.base + moved[0].slice(1) + "#" + moved[1] + ">, part of its fact's description\n";
        r.sendHeader();
        r.send(text);
        r.finish();
        return;
    }
    if (asked.startsWith("/dumps/")) {
        text = "404 Not Found: the release has no file '" + asked.slice(7) + "'; see /dumps/";
    } else {
        text = "404 Not Found: the graph says nothing about <" + SITE.base + asked.slice(1) + ">";
    }
    r.headersOut["Content-Type"] = "text/plain; charset=utf-8";
    r.return(404, text + "\n");
}

export default {format, link, notAcceptable, notFound};
