# fleet health collector for Windows (Windows PowerShell 5.1 or PowerShell 7).
#
# The controller prepends `$FleetExpect = @'<expectations JSON>'@` and runs this over PSRP/WinRM or
# Windows OpenSSH. It prints ONE line of JSON with raw facts (schema: fleet/health/facts.py) and
# judges nothing. The registry is read through the 64-bit view, so a 32-bit PowerShell (RMM agents)
# sees the same policy keys Chrome and Edge read. No secret leaves the host: managed policy values
# are read here and only the first 16 hex characters of their SHA-256 are printed.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$x = $FleetExpect | ConvertFrom-Json

$facts = [ordered]@{ fleet_health = 1; collector = 'windows' }
$tables = 'disks', 'browsers', 'userdata', 'profiles', 'extensions', 'policy_sources', 'forcelist',
          'managed_values', 'services', 'errors'
foreach ($t in $tables) { $facts[$t] = New-Object System.Collections.ArrayList }

function Add-Row([string]$Table, [hashtable]$Row) { [void]$facts[$Table].Add($Row) }
function Add-Err([string]$Where, [string]$Message) { Add-Row 'errors' @{ where = $Where; error = $Message } }

function Get-Sha16([string]$Text) {
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $h = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text)) } finally { $sha.Dispose() }
    -join ($h[0..7] | ForEach-Object { $_.ToString('x2') })
}

function Get-FirstLine([string]$Path) {
    try { return [string](Get-Content -LiteralPath $Path -TotalCount 1 -ErrorAction Stop) } catch { return '' }
}

$hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine,
                                                   [Microsoft.Win32.RegistryView]::Registry64)

# -- host ----------------------------------------------------------------------------------------
try {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $epoch = [datetime]'1970-01-01T00:00:00Z'
    $facts.host = [ordered]@{
        hostname   = [string]$env:COMPUTERNAME
        os         = 'Windows'
        os_version = "$($os.Caption) $($os.Version)"
        time       = ([datetime]::UtcNow - $epoch.ToUniversalTime()).TotalSeconds
        boot_time  = [math]::Floor(($os.LastBootUpTime.ToUniversalTime() - $epoch.ToUniversalTime()).TotalSeconds)
        user       = [string]$env:USERNAME
    }
    if ($cs.PartOfDomain) {
        $facts.managed = [ordered]@{ kind = 'domain'; detail = "joined to $($cs.Domain)" }
    } else {
        $kind = 'workgroup'; $detail = "workgroup $($cs.Workgroup)"
        $enrollments = $hklm.OpenSubKey('SOFTWARE\Microsoft\Enrollments')
        if ($enrollments) {
            foreach ($name in $enrollments.GetSubKeyNames()) {
                $e = $enrollments.OpenSubKey($name)
                if ($e -and [string]$e.GetValue('ProviderID') -eq 'MS DM Server') {
                    $kind = 'mdm'; $detail = "MDM enrolled ($([string]$e.GetValue('UPN')))"
                }
            }
        }
        $facts.managed = [ordered]@{ kind = $kind; detail = $detail }
    }
} catch {
    $facts.host = [ordered]@{ hostname = [string]$env:COMPUTERNAME; os = 'Windows'; time = $null }
    $facts.managed = [ordered]@{ kind = 'unknown'; detail = '' }
    Add-Err 'host' $_.Exception.Message
}
# The clock is read as late as possible before the answer leaves (skew is judged on the controller).
$facts.host.time = ([datetime]::UtcNow - ([datetime]'1970-01-01T00:00:00Z').ToUniversalTime()).TotalSeconds

# -- disks ---------------------------------------------------------------------------------------
try {
    foreach ($d in Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3') {
        if ($d.Size) {
            Add-Row 'disks' @{ mount = [string]$d.DeviceID; total_mb = [int64]($d.Size / 1048576);
                               free_mb = [int64]($d.FreeSpace / 1048576) }
        }
    }
} catch { Add-Err 'disks' $_.Exception.Message }

# -- browsers, profiles, extensions, policy -------------------------------------------------------
$homes = @()
try {
    $plist = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList')
    foreach ($sid in $plist.GetSubKeyNames()) {
        if ($sid -notlike 'S-1-5-21-*') { continue }  # real user accounts only
        $p = [Environment]::ExpandEnvironmentVariables([string]$plist.OpenSubKey($sid).GetValue('ProfileImagePath'))
        if ($p -and (Test-Path -LiteralPath $p)) { $homes += $p }
    }
} catch { Add-Err 'ProfileList' $_.Exception.Message }

foreach ($b in @($x.browsers)) {
    $bin = ''
    foreach ($c in @($b.bins)) { if (Test-Path -LiteralPath $c) { $bin = $c; break } }
    $ver = ''
    if ($bin) { try { $ver = [string](Get-Item -LiteralPath $bin).VersionInfo.ProductVersion } catch { } }
    Add-Row 'browsers' @{ browser = $b.name; binary = $bin; version = $ver }
    $exts = @($b.ext)
    foreach ($h in $homes) {
        $ud = Join-Path $h ('AppData\Local\' + $b.data)
        if (-not (Test-Path -LiteralPath $ud)) { continue }
        $user = Split-Path $h -Leaf
        Add-Row 'userdata' @{ browser = $b.name; user = $user; version = (Get-FirstLine (Join-Path $ud 'Last Version')) }
        $profs = @(Get-ChildItem -LiteralPath $ud -Directory -ErrorAction SilentlyContinue |
                   Where-Object { $_.Name -eq 'Default' -or $_.Name -like 'Profile *' })
        foreach ($p in $profs) {
            Add-Row 'profiles' @{ browser = $b.name; user = $user; profile = $p.Name }
            foreach ($id in $exts) {
                $ed = Join-Path $p.FullName "Extensions\$id"
                if (-not (Test-Path -LiteralPath $ed)) { continue }
                foreach ($v in @(Get-ChildItem -LiteralPath $ed -Directory -ErrorAction SilentlyContinue)) {
                    Add-Row 'extensions' @{ browser = $b.name; user = $user; profile = $p.Name;
                                            extension_id = $id; version = $v.Name }
                }
            }
        }
    }
    if ($exts.Count -eq 0) { continue }
    $source = "HKLM\$($b.policy)"
    try {
        $fl = $hklm.OpenSubKey("$($b.policy)\ExtensionInstallForcelist")
        Add-Row 'policy_sources' @{ browser = $b.name; source = $source; ok = $true; error = '';
                                    has_forcelist = [bool]$fl }
        if ($fl) {
            foreach ($n in $fl.GetValueNames()) {
                Add-Row 'forcelist' @{ browser = $b.name; source = $source;
                                       entry = [string]$fl.GetValue($n) }
            }
        }
        foreach ($id in $exts) {
            $key = "$($b.policy)\3rdparty\extensions\$id\policy"
            $k = $hklm.OpenSubKey($key)
            if (-not $k) { continue }
            foreach ($field in @($b.fields)) {
                if ($k.GetValueNames() -notcontains $field) { continue }
                $kind = $k.GetValueKind($field)
                $value = $k.GetValue($field, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
                $type = 'unreadable'; $sha = ''
                switch ($kind) {
                    'String' { $type = 'string'; $sha = Get-Sha16 ([string]$value) }
                    'ExpandString' { $type = 'string'; $sha = Get-Sha16 ([string]$value) }
                    'DWord' { $type = 'number'; $sha = Get-Sha16 ([string][uint32]$value) }
                    'MultiString' { $type = 'array' }
                    default { $type = 'unreadable' }
                }
                $value = $null
                Add-Row 'managed_values' @{ browser = $b.name; source = "HKLM\$key"; extension_id = $id;
                                            field = $field; type = $type; sha16 = $sha }
            }
        }
    } catch { Add-Err $source $_.Exception.Message }
}

# -- services ------------------------------------------------------------------------------------
foreach ($s in @($x.services)) {
    $row = [ordered]@{ name = $s.name; kind = $s.kind; present = $false; running = $false; start = 'unknown';
                       version = ''; crashes_24h = $null; probe = 'scm'; key_fingerprint = '' }
    try {
        $svc = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f ($s.name -replace "'", "''"))
        if ($svc) {
            $row.present = $true
            $row.running = ($svc.State -eq 'Running')
            $row.start = switch ($svc.StartMode) { 'Auto' { 'auto' } 'Manual' { 'manual' } 'Disabled' { 'disabled' }
                                                   default { 'unknown' } }
            $exe = [string]$svc.PathName
            if ($exe -match '^"([^"]+)"') { $exe = $Matches[1] } elseif ($exe -match '^(\S+)') { $exe = $Matches[1] }
            if ($exe -and (Test-Path -LiteralPath $exe)) {
                try { $row.version = [string](Get-Item -LiteralPath $exe).VersionInfo.ProductVersion } catch { }
            }
            if ($s.kind -eq 'synchronizer') {
                # fleet's record of what it installed: version and the product key's fingerprint (not the key)
                $marker = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\fleet\Synchronizer' -ErrorAction SilentlyContinue
                if ($marker) {
                    $row.key_fingerprint = [string]$marker.KeyFingerprint
                    if ($marker.Version) { $row.version = [string]$marker.Version }
                }
                # 7031: terminated unexpectedly (will restart), 7034: terminated unexpectedly; param1 = display name
                $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = 7031, 7034;
                                                              StartTime = (Get-Date).AddHours(-24) } -ErrorAction SilentlyContinue)
                $row.crashes_24h = @($events | Where-Object { $_.Properties[0].Value -eq $svc.DisplayName -or
                                                             $_.Properties[0].Value -eq $svc.Name }).Count
            }
        }
    } catch {
        $row.present = $null; $row.running = $null
        Add-Err "service $($s.name)" $_.Exception.Message
    }
    Add-Row 'services' $row
}

# -- the sync endpoint ---------------------------------------------------------------------------
if ($x.endpoint) {
    $ep = [ordered]@{ url = [string]$x.endpoint; ok = $false; http_status = $null; error = ''; elapsed_ms = $null }
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor
            [Net.SecurityProtocolType]::Tls12
        $req = [System.Net.HttpWebRequest]::Create([string]$x.endpoint)
        $req.Method = 'HEAD'; $req.Timeout = 10000; $req.AllowAutoRedirect = $false
        $resp = $req.GetResponse()
        $ep.ok = $true; $ep.http_status = [int]$resp.StatusCode
        $resp.Close()
    } catch [System.Net.WebException] {
        $r = $_.Exception.Response
        if ($r) { $ep.ok = $true; $ep.http_status = [int]$r.StatusCode; $r.Close() }
        else { $ep.error = [string]$_.Exception.Status }
    } catch { $ep.error = $_.Exception.Message }
    $ep.elapsed_ms = [int]$sw.ElapsedMilliseconds
    $facts.endpoint = $ep
}

$facts.host.time = ([datetime]::UtcNow - ([datetime]'1970-01-01T00:00:00Z').ToUniversalTime()).TotalSeconds
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
[Console]::Out.Write(($facts | ConvertTo-Json -Depth 6 -Compress))
