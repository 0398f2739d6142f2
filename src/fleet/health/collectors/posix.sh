# fleet health collector for Linux and macOS: POSIX sh and awk only (no python, jq or bash needed).
#
# The controller sends this script on stdin to `sh -s`, preceded by one line setting FLEET_EXPECT
# to its expectations document (JSON: what to look for). It prints one JSON document of raw facts
# on stdout (schema: fleet/health/facts.py) and judges nothing. No secret leaves the host: managed
# policy values are read here and only their sha16 fingerprints are printed.
#
# Shape: every fact is first written as a record line
#   SECTION <TAB> key <TAB> type <TAB> value [<TAB> key <TAB> type <TAB> value ...]
# (type: s text, n number, b boolean, z null), and one awk pass ($TOJSON) turns the records into
# the JSON document. $JSONAWK is a small JSON reader used for the expectations (mode=sh: shell
# assignments) and for browser policy files (mode=tsv: "path <TAB> type <TAB> value" leaves).

set -u
umask 077
LC_ALL=C
export LC_ALL
PATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin:${PATH:-}
TAB=$(printf '\t')
NL='
'

JSONAWK='
function fail(msg) { printf "!\t%s at byte %d\n", msg, pos; exit 3 }
function ws(   c) {
  while (pos <= n) { c = substr(s, pos, 1); if (c == " " || c == "\t" || c == "\n" || c == "\r") pos++; else return }
}
function hex(h,   i, d, v) {
  if (length(h) != 4) return -1
  v = 0
  for (i = 1; i <= 4; i++) { d = index("0123456789abcdef", tolower(substr(h, i, 1))); if (!d) return -1; v = v * 16 + d - 1 }
  return v
}
function utf8(cp) {
  if (cp < 128) return sprintf("%c", cp)
  if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
  if (cp < 65536) return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
  return sprintf("%c%c%c%c", 240 + int(cp / 262144), 128 + int(cp / 4096) % 64, 128 + int(cp / 64) % 64, 128 + cp % 64)
}
function str(   c, r, t, cp, lo) {
  pos++; r = ""; BAD = 0
  while (pos <= n) {
    t = substr(s, pos, 256)
    if (match(t, /^[^"\\]+/)) { r = r substr(t, 1, RLENGTH); pos += RLENGTH; continue }
    c = substr(s, pos, 1)
    if (c == "\"") { pos++; S = r; return }
    c = substr(s, pos + 1, 1); pos += 2
    if (c == "\"" || c == "\\" || c == "/") r = r c
    else if (c == "n") r = r "\n"
    else if (c == "t") r = r "\t"
    else if (c == "r") r = r "\r"
    else if (c == "b") r = r "\b"
    else if (c == "f") r = r "\f"
    else if (c == "u") {
      cp = hex(substr(s, pos, 4)); if (cp < 0) fail("bad \\u escape"); pos += 4
      if (cp >= 55296 && cp < 56320 && substr(s, pos, 2) == "\\u") {
        lo = hex(substr(s, pos + 2, 4))
        if (lo >= 56320 && lo < 57344) { cp = 65536 + (cp - 55296) * 1024 + (lo - 56320); pos += 6 }
      }
      if (cp == 0) BAD = 1; else r = r utf8(cp)
    } else fail("bad escape")
  }
  fail("unterminated string")
}
function vname(p) { gsub(/[^A-Za-z0-9]/, "_", p); return p }
function shq(v,   r, i) {
  r = ""
  while ((i = index(v, SQ)) > 0) { r = r substr(v, 1, i - 1) SQ "\"" SQ "\"" SQ; v = substr(v, i + 1) }
  return SQ r v SQ
}
function out(path, type, v) {
  if (mode == "sh") { if (type == "s" || type == "n" || type == "b") printf "X_%s=%s\n", vname(path), shq(v); return }
  if (BAD || index(v, "\t") || index(v, "\n") || index(v, "\r")) { type = "c"; v = "" }
  printf "%s\t%s\t%s\n", (path == "" ? "." : path), type, v
}
function val(path,   c, k, i) {
  ws(); BAD = 0
  if (++depth > 64) fail("nested too deeply")
  c = substr(s, pos, 1)
  if (c == "{") {
    pos++; out(path, "o", ""); ws()
    if (substr(s, pos, 1) == "}") pos++
    else for (;;) {
      ws(); if (substr(s, pos, 1) != "\"") fail("expected a key")
      str(); k = S; ws()
      if (substr(s, pos, 1) != ":") fail("expected a colon")
      pos++
      val(path == "" ? k : path "/" k)
      ws(); c = substr(s, pos, 1); pos++
      if (c == "}") break
      if (c != ",") fail("expected , or }")
    }
  } else if (c == "[") {
    pos++; out(path, "a", ""); ws(); i = 0
    if (substr(s, pos, 1) == "]") pos++
    else for (;;) {
      val(path == "" ? i : path "/" i); i++
      ws(); c = substr(s, pos, 1); pos++
      if (c == "]") break
      if (c != ",") fail("expected , or ]")
    }
    if (mode == "sh") printf "X_%s_n=%d\n", vname(path), i
  } else if (c == "\"") { str(); out(path, "s", S) }
  else if (substr(s, pos, 4) == "true") { pos += 4; out(path, "b", "true") }
  else if (substr(s, pos, 5) == "false") { pos += 5; out(path, "b", "false") }
  else if (substr(s, pos, 4) == "null") { pos += 4; out(path, "z", "") }
  else if (match(substr(s, pos, 64), /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
    out(path, "n", substr(s, pos, RLENGTH)); pos += RLENGTH
  } else fail(pos > n ? "unexpected end" : "unexpected character")
  depth--
}
BEGIN { SQ = sprintf("%c", 39) }
{ s = s $0 "\n"; if (length(s) > 1048576) { big = 1; exit } }
END {
  if (big) { print "!\tlarger than 1 MiB"; exit 3 }
  n = length(s); pos = 1; depth = 0
  val("")
  ws(); if (pos <= n) fail("trailing data")
}'

TOJSON='
function js(v,   r, c) {
  r = ""
  while (match(v, CTL)) {
    c = substr(v, RSTART, 1)
    r = r substr(v, 1, RSTART - 1) (c == "\\" ? "\\\\" : c == "\"" ? "\\\"" : sprintf("\\u%04x", ORD[c]))
    v = substr(v, RSTART + 1)
  }
  return "\"" r v "\""
}
BEGIN {
  FS = "\t"; ONE["host"] = 1; ONE["managed"] = 1; ONE["endpoint"] = 1
  for (i = 1; i < 32; i++) ORD[sprintf("%c", i)] = i
  ORD[sprintf("%c", 127)] = 127
  CTL = sprintf("[\\\\\"%c-%c%c]", 1, 31, 127)
}
$1 != "" {
  o = ""
  for (i = 2; i + 2 <= NF; i += 3) {
    t = $(i + 1); v = $(i + 2)
    if (t == "n") { if (v !~ /^-?[0-9]+(\.[0-9]+)?$/) v = "null" }
    else if (t == "b") v = (v == "true") ? "true" : (v == "false") ? "false" : "null"
    else if (t == "z") v = "null"
    else v = js(v)
    o = o (o == "" ? "" : ",") js($i) ":" v
  }
  if (!($1 in BODY)) { ORDER[++NSEC] = $1; BODY[$1] = "" }
  BODY[$1] = BODY[$1] (BODY[$1] == "" ? "" : ",") (($1 in ONE) ? o : "{" o "}")
}
END {
  printf "{\"fleet_health\":1,\"collector\":\"posix\""
  for (i = 1; i <= NSEC; i++) {
    k = ORDER[i]
    if (k in ONE) printf ",%s:{%s}", js(k), BODY[k]; else printf ",%s:[%s]", js(k), BODY[k]
  }
  print "}"
}'

# -- helpers ------------------------------------------------------------------------------------

rec() {  # SECTION key type value ...: one record line; a value with a tab or newline becomes "?"
  _l=$1; shift
  while [ $# -ge 3 ]; do
    _v=$3
    case $_v in *"$TAB"*|*"$NL"*) _v='?' ;; esac
    _l="$_l$TAB$1$TAB$2$TAB$_v"
    shift 3
  done
  printf '%s\n' "$_l"
}

err() { rec errors where s "$1" error s "$2"; }

first_line() {  # FILE: its first line in REPLY; false when unreadable
  REPLY=''
  [ -r "$1" ] || return 1
  { IFS= read -r REPLY || [ -n "$REPLY" ]; } < "$1" 2>/dev/null
}

get() { eval "R=\${X_$1-}"; }  # one value of the expectations, by flattened path

_pysha() { python3 -c 'import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'; }
if command -v sha256sum >/dev/null 2>&1; then SHA=sha256sum
elif command -v shasum >/dev/null 2>&1; then SHA='shasum -a 256'
elif command -v openssl >/dev/null 2>&1; then SHA='openssl dgst -sha256 -r'
elif command -v python3 >/dev/null 2>&1; then SHA=_pysha
else SHA=''
fi

sha16() {  # VALUE -> H: first 16 hex chars of its SHA-256 ("" without a tool). VALUE stays in this shell.
  H=''
  [ -n "$SHA" ] || return 1
  _h=$(printf '%s' "$1" | $SHA 2>/dev/null) || return 1
  _h=${_h%%[ *]*}
  _t=${_h#????????????????}
  H=${_h%"$_t"}
  case $H in ????????????????) ;; *) H='' ;; esac
  case $H in *[!0-9a-f]*) H='' ;; esac
}

# -- the expectations ---------------------------------------------------------------------------

_x=$(printf '%s' "${FLEET_EXPECT-}" | awk -v mode=sh "$JSONAWK")
if [ $? -ne 0 ]; then
  EXPECT_ERROR=${_x#!"$TAB"}
  _x=''
else
  EXPECT_ERROR=''
fi
eval "$_x"
unset _x

OS=$(uname -s 2>/dev/null)
NOW=$(date +%s.%N 2>/dev/null)
case $NOW in *N*|'') NOW=$(date +%s) ;; esac

# -- sections -----------------------------------------------------------------------------------

host_facts() {
  _hn=$(uname -n 2>/dev/null)
  _user=${USER:-${LOGNAME:-}}
  [ -n "$_user" ] || _user=$(id -un 2>/dev/null)
  _boot=''
  _osv=''
  if [ -r /proc/stat ]; then
    while read -r _k _v _rest; do
      if [ "$_k" = btime ]; then _boot=$_v; break; fi
    done < /proc/stat
  elif [ "$OS" = Darwin ]; then
    _b=$(sysctl -n kern.boottime 2>/dev/null)
    _b=${_b#*sec = }
    _boot=${_b%%,*}
  fi
  if [ -r /etc/os-release ]; then
    while IFS='=' read -r _k _v; do
      [ "$_k" = PRETTY_NAME ] && _osv=$_v
    done < /etc/os-release
    _osv=${_osv#\"}
    _osv=${_osv%\"}
  elif [ "$OS" = Darwin ]; then
    _osv="macOS $(sw_vers -productVersion 2>/dev/null)"
  fi
  rec host hostname s "$_hn" os s "$OS" os_version s "$_osv" time n "$NOW" boot_time n "$_boot" user s "$_user"
  if [ "$OS" = Darwin ]; then
    _e=$(profiles status -type enrollment 2>/dev/null)
    case $_e in
      *"MDM enrollment: Yes"*) rec managed kind s mdm detail s "${_e%%"$NL"*}" ;;
      *"MDM enrollment: No"*) rec managed kind s workgroup detail s "not enrolled in an MDM" ;;
      *) rec managed kind s unknown detail s "profiles status needs root" ;;
    esac
  else
    rec managed kind s not_applicable detail s "Chrome on Linux force-installs from any update URL"
  fi
}

disk_facts() {
  get disks_n
  _i=0
  set --
  while [ "$_i" -lt "${R:-0}" ]; do
    eval "set -- \"\$@\" \"\${X_disks_$_i-}\""
    _i=$((_i + 1))
  done
  [ $# -gt 0 ] || set -- /
  df -Pk "$@" 2>/dev/null | {
    read -r _hdr
    while read -r _fs _blocks _used _avail _cap _mnt; do
      case $_blocks$_avail in ''|*[!0-9]*) continue ;; esac
      rec disks mount s "$_mnt" total_mb n $((_blocks / 1024)) free_mb n $((_avail / 1024))
    done
  }
}

managed_row() {  # BROWSER SOURCE EXT_ID FIELD TYPE VALUE
  case $5 in
    s) sha16 "$6"; rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s string sha16 s "$H" ;;
    n) sha16 "$6"; rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s number sha16 s "$H" ;;
    b) sha16 "$6"; rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s boolean sha16 s "$H" ;;
    o) rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s object sha16 s '' ;;
    a) rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s array sha16 s '' ;;
    z) rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s null sha16 s '' ;;
    *) rec managed_values browser s "$1" source s "$2" extension_id s "$3" field s "$4" type s unreadable sha16 s '' ;;
  esac
}

scan_policy() {  # BROWSER SOURCE EXT_ID_OR_EMPTY < json: forcelist and our managed fields
  # EXT_ID empty: a whole policy document (Linux file, macOS com.google.Chrome);
  # otherwise a macOS extension domain whose top-level keys are the extension's fields.
  _out=$(awk -v mode=tsv "$JSONAWK")
  if [ $? -ne 0 ]; then
    rec policy_sources browser s "$1" source s "$2" ok b false error s "${_out##*!"$TAB"}"
    return
  fi
  _hf=false
  while IFS="$TAB" read -r _p _t _v; do
    if [ -n "$3" ]; then
      _id=$3; _f=$_p
    else
      case $_p in
        ExtensionInstallForcelist/*)
          if [ "$_t" = s ]; then rec forcelist browser s "$1" source s "$2" entry s "$_v"; fi
          continue ;;
        ExtensionInstallForcelist)
          if [ "$_t" = a ]; then _hf=true; else err "$2" "ExtensionInstallForcelist is not a list"; fi
          continue ;;
        3rdparty/extensions/*/*) ;;
        *) continue ;;
      esac
      _r=${_p#3rdparty/extensions/}
      _id=${_r%%/*}
      _f=${_r#*/}
    fi
    case " $EXTS " in *" $_id "*) ;; *) continue ;; esac
    case " $FIELDS " in *" $_f "*) ;; *) continue ;; esac
    managed_row "$1" "$2" "$_id" "$_f" "$_t" "$_v"
  done <<EOF
$_out
EOF
  rec policy_sources browser s "$1" source s "$2" ok b true error s '' has_forcelist b "$_hf"
}

list() {  # PATH: the expectations' list at PATH, space-separated, in L
  L=''
  get "${1}_n"
  _ln=${R:-0}
  _j=0
  while [ "$_j" -lt "$_ln" ]; do
    get "${1}_$_j"
    L="$L${L:+ }$R"
    _j=$((_j + 1))
  done
}

browser_facts() {
  get browsers_n
  _nb=${R:-0}
  _i=0
  while [ "$_i" -lt "$_nb" ]; do
    get "browsers_${_i}_name"; _b=$R
    get "browsers_${_i}_policy"; _pol=$R
    get "browsers_${_i}_data"; _data=$R
    list "browsers_${_i}_ext"; EXTS=$L
    list "browsers_${_i}_fields"; FIELDS=$L
    _bin=''
    get "browsers_${_i}_bins_n"
    _j=0
    while [ "$_j" -lt "${R:-0}" ]; do
      eval "_c=\${X_browsers_${_i}_bins_$_j-}"
      if [ -n "$_c" ] && [ -e "$_c" ]; then _bin=$_c; break; fi
      _j=$((_j + 1))
    done
    _ver=''
    if [ -n "$_bin" ] && [ "$OS" = Darwin ]; then
      _ver=$(defaults read "$_bin/Contents/Info" CFBundleShortVersionString 2>/dev/null)
    fi
    rec browsers browser s "$_b" binary s "$_bin" version s "$_ver"
    list homes
    for _home in $L; do
        _ud="$_home/$_data"
        [ -d "$_ud" ] || continue
        _u=${_home##*/}
        [ -n "$_u" ] || _u=root
        if [ ! -r "$_ud" ] || [ ! -x "$_ud" ]; then err "$_ud" "not readable by $(id -un 2>/dev/null)"; continue; fi
        first_line "$_ud/Last Version"
        rec userdata browser s "$_b" user s "$_u" version s "$REPLY"
        for _prof in "$_ud/Default" "$_ud/Profile "*; do
          [ -d "$_prof" ] || continue
          _pn=${_prof##*/}
          rec profiles browser s "$_b" user s "$_u" profile s "$_pn"
          for _id in $EXTS; do
            for _vd in "$_prof/Extensions/$_id/"*; do
              [ -d "$_vd" ] || continue
              _vn=${_vd%/}
              rec extensions browser s "$_b" user s "$_u" profile s "$_pn" extension_id s "$_id" version s "${_vn##*/}"
            done
          done
        done
    done
    if [ -n "$EXTS" ]; then
      if [ "$OS" = Darwin ]; then
        if [ -f "$_pol.plist" ]; then
          plutil -convert json -o - "$_pol.plist" 2>/dev/null | scan_policy "$_b" "$_pol.plist" ''
        fi
        for _id in $EXTS; do
          _f="$_pol.extensions.$_id.plist"
          [ -f "$_f" ] || continue
          plutil -convert json -o - "$_f" 2>/dev/null | scan_policy "$_b" "$_f" "$_id"
        done
      else
        for _f in "$_pol"/*.json; do
          [ -f "$_f" ] || continue
          scan_policy "$_b" "$_f" '' < "$_f"
        done
      fi
    fi
    _i=$((_i + 1))
  done
}

service_facts() {
  get services_n
  _ns=${R:-0}
  [ "$_ns" -gt 0 ] || return 0
  get service_state_file; _ssf=$R
  _states=''
  if [ -n "$_ssf" ] && [ -r "$_ssf" ]; then
    _states=$(awk -v mode=tsv "$JSONAWK" < "$_ssf")
    if [ $? -ne 0 ]; then err "$_ssf" "${_states##*!"$TAB"}"; _states=''; fi
  fi
  _systemd=''
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then _systemd=1; fi
  _cut=$(( ${NOW%%.*} - 86400 ))
  _k=0
  while [ "$_k" -lt "$_ns" ]; do
    for _a in name kind pidfile process_match version_file install_dir autostart_file crash_log key_file; do
      eval "_s_$_a=\${X_services_${_k}_$_a-}"
    done
    _present=''; _running=''; _start=unknown; _ver=''; _crashes=''; _probe=none; _keyfp=
    if [ -n "$_s_pidfile$_s_version_file$_s_install_dir" ]; then
      _probe=pidfile
      _present=false
      if { [ -n "$_s_version_file" ] && [ -e "$_s_version_file" ]; } || { [ -n "$_s_install_dir" ] && [ -d "$_s_install_dir" ]; }; then
        _present=true
      fi
      if [ -n "$_s_version_file" ] && first_line "$_s_version_file"; then _ver=$REPLY; fi
      # the installed product key's fingerprint (the key itself never leaves this shell)
      if [ -n "$_s_key_file" ] && [ -r "$_s_key_file" ]; then sha16 "$(cat "$_s_key_file")"; _keyfp=$H; fi
      _running=false
      if [ -n "$_s_pidfile" ] && first_line "$_s_pidfile"; then
        case $REPLY in
          ''|*[!0-9]*) ;;
          *)
            if kill -0 "$REPLY" 2>/dev/null || [ -d "/proc/$REPLY" ]; then
              _running=true
              # the pid may have been reused by another program: check its command line when asked
              if [ -n "$_s_process_match" ] && [ -r "/proc/$REPLY/cmdline" ]; then
                case $(tr '\0' ' ' < "/proc/$REPLY/cmdline" 2>/dev/null) in
                  *"$_s_process_match"*) ;;
                  *) _running=false ;;
                esac
              fi
            fi ;;
        esac
      fi
      if [ -n "$_s_autostart_file" ]; then
        if [ -e "$_s_autostart_file" ]; then _start=auto; else _start=manual; fi
      fi
      if [ -n "$_s_crash_log" ]; then
        _crashes=0
        if [ -r "$_s_crash_log" ]; then
          while read -r _ts _rest; do
            _ts=${_ts%%.*}
            case $_ts in ''|*[!0-9]*) continue ;; esac
            [ "$_ts" -ge "$_cut" ] && _crashes=$((_crashes + 1))
          done < "$_s_crash_log"
        fi
      fi
    elif [ -n "$_states" ]; then
      _probe=statefile
      _present=false
      while IFS="$TAB" read -r _p _t _v; do
        case $_p in
          "$_s_name"|"$_s_name/state")
            if [ "$_t" = s ]; then
              _present=true
              if [ "$_v" = running ]; then _running=true; else _running=false; fi
            fi ;;
          "$_s_name/start") [ "$_t" = s ] && _start=$_v ;;
          "$_s_name/version") [ "$_t" = s ] && _ver=$_v ;;
        esac
      done <<EOF
$_states
EOF
      [ "$_present" = true ] || _running=false
    elif [ -n "$_systemd" ]; then
      _probe=systemd
      _out=$(systemctl show -p LoadState -p ActiveState -p UnitFileState -p NRestarts -- "$_s_name" 2>/dev/null)
      while IFS='=' read -r _key _val; do
        case $_key=$_val in
          LoadState=loaded) _present=true ;;
          LoadState=not-found) _present=false; _running=false ;;
          ActiveState=active) _running=true ;;
          ActiveState=*) [ "$_present" = true ] && _running=false ;;
          UnitFileState=enabled) _start=auto ;;
          UnitFileState=disabled|UnitFileState=masked) _start=disabled ;;
          UnitFileState=static|UnitFileState=indirect|UnitFileState=generated) _start=manual ;;
          NRestarts=*) _crashes=$_val ;;
        esac
      done <<EOF
$_out
EOF
    fi
    rec services name s "$_s_name" kind s "$_s_kind" present b "$_present" running b "$_running" start s "$_start" \
      version s "$_ver" crashes_24h n "$_crashes" probe s "$_probe" key_fingerprint s "$_keyfp"
    _k=$((_k + 1))
  done
}

endpoint_facts() {
  get endpoint; _ep=$R
  [ -n "$_ep" ] || return 0
  get endpoint_timeout; _to=${R:-10}
  if command -v curl >/dev/null 2>&1; then
    _r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --connect-timeout 5 --max-time "$_to" -- "$_ep" 2>/dev/null)
    _rc=$?
    _code=${_r%% *}
    _tt=${_r#* }
    _sec=${_tt%%.*}
    _frac=${_tt#*.}000
    _frac=${_frac%"${_frac#???}"}
    while :; do case $_frac in 0?*) _frac=${_frac#0} ;; *) break ;; esac; done
    case $_sec$_frac in ''|*[!0-9]*) _ms='' ;; *) _ms=$((_sec * 1000 + _frac)) ;; esac
    case $_code in ''|*[!0-9]*) _code='' ;; *) while :; do case $_code in 0?*) _code=${_code#0} ;; *) break ;; esac; done ;; esac
    case $_rc in
      0) rec endpoint url s "$_ep" ok b true http_status n "$_code" error s '' elapsed_ms n "$_ms" ;;
      *)
        case $_rc in
          6) _why='cannot resolve the host name' ;;
          7) _why='cannot connect (refused or blocked)' ;;
          28) _why='timed out' ;;
          35) _why='TLS handshake failed' ;;
          51|60|77) _why='TLS certificate not trusted' ;;
          5) _why='cannot resolve the proxy' ;;
          *) _why="curl failed (exit $_rc)" ;;
        esac
        rec endpoint url s "$_ep" ok b false http_status n "$_code" error s "$_why" elapsed_ms n "$_ms" ;;
    esac
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O /dev/null -T "$_to" -t 1 -- "$_ep" 2>/dev/null
    case $? in
      0) rec endpoint url s "$_ep" ok b true error s '' ;;
      8) rec endpoint url s "$_ep" ok b true error s 'the server answered with an HTTP error' ;;
      4) rec endpoint url s "$_ep" ok b false error s 'network failure (resolve, connect or timeout)' ;;
      5) rec endpoint url s "$_ep" ok b false error s 'TLS certificate not trusted' ;;
      *) rec endpoint url s "$_ep" ok b false error s 'wget failed' ;;
    esac
  else
    rec endpoint url s "$_ep" ok b false error s 'neither curl nor wget is installed on the host'
  fi
}

collect() {
  host_facts
  [ -z "$EXPECT_ERROR" ] || err expectations "$EXPECT_ERROR"
  [ -n "$SHA" ] || err sha256 "no sha256sum, shasum, openssl or python3: managed values cannot be fingerprinted"
  disk_facts
  browser_facts
  service_facts
  endpoint_facts
}

collect | awk "$TOJSON"
