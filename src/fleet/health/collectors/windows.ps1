# fleet health collector for Windows (Windows PowerShell 5.1 or PowerShell 7).
#
# The controller prepends `$FleetExpect = @'<expectations JSON>'@` and `$FleetBudget = <seconds>`
# and runs this over PSRP/WinRM or Windows OpenSSH. It emits ONE line of JSON with raw facts
# (schema: fleet/health/facts.py) and judges nothing.
#
# Written the way Ansible's exec_wrapper.ps1/module_wrapper.ps1 run PowerShell remotely:
# - The answer goes to the OUTPUT STREAM (the last statement). A PSRP/WinRM runspace has no console:
#   [Console]::Out goes to wsmprovhost's own stdout, which nobody reads, and setting
#   [Console]::OutputEncoding throws there; over SSH the console host writes the output stream to
#   stdout. The JSON is plain ASCII (everything else escaped as \uXXXX), so no code page matters.
# - Every probe runs in its own try (Invoke-Probe): a failure becomes an `errors` row and the
#   other facts still come back. Nothing else writes output.
# - Every CIM call has -OperationTimeoutSec, the whole script a time budget: a probe that would
#   start after the budget is skipped with an error row, so a host with a hung WMI provider still
#   answers before the transport's hard deadline.
# - Constrained Language Mode (AppLocker/WDAC) cannot call .NET: it is detected first and reported
#   (runtime.language_mode and an error row) with the few facts that need no .NET.
# - Admin rights are reported (runtime.admin): without them other users' profiles and the System
#   log are unreadable, and the facts that could not be read say so in `errors`, never as "none".
#
# The registry is read through the 64-bit view, so a 32-bit PowerShell (RMM agents) sees the same
# policy keys Chrome and Edge read. No secret leaves the host: managed policy values are read here
# and only the first 16 hex characters of their SHA-256 are sent.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if (-not (Test-Path -LiteralPath 'variable:FleetBudget')) { $FleetBudget = 40 }

# -- Constrained Language Mode: no .NET calls, so only what needs none --------------------------
$fleetLanguage = [string]$ExecutionContext.SessionState.LanguageMode
if ($fleetLanguage -ne 'FullLanguage') {
    $clm = @{
        fleet_health = 1; collector = 'windows'
        host = @{ hostname = [string]$env:COMPUTERNAME; os = 'Windows'; user = [string]$env:USERNAME }
        managed = @{ kind = 'unknown'; detail = ''; join = '' }
        runtime = @{ language_mode = $fleetLanguage; ps_version = [string]$PSVersionTable.PSVersion
                     ps_host = [string]$Host.Name; budget_s = $FleetBudget }
        errors = @(@{ where = 'language_mode'
                      error = "PowerShell runs in $fleetLanguage mode (AppLocker or WDAC policy): the collector " +
                              'cannot read the registry, services or profiles; allow fleet''s collector in the ' +
                              'policy or run it as an account the policy exempts' })
    }
    $clm | ConvertTo-Json -Depth 4 -Compress
    return
}

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$CimTimeoutSec = 15

$facts = [ordered]@{ fleet_health = 1; collector = 'windows' }
$tables = 'disks', 'browsers', 'userdata', 'profiles', 'extensions', 'policy_sources', 'forcelist',
          'managed_values', 'services', 'errors'
foreach ($t in $tables) { $facts[$t] = New-Object System.Collections.ArrayList }
$facts.host = [ordered]@{ hostname = [string]$env:COMPUTERNAME; os = 'Windows'; os_version = ''; time = $null
                          boot_time = $null; user = [string]$env:USERNAME }
$facts.managed = [ordered]@{ kind = 'unknown'; detail = ''; join = '' }
$facts.runtime = [ordered]@{ language_mode = $fleetLanguage; admin = $null; ps_version = [string]$PSVersionTable.PSVersion
                             ps_host = [string]$Host.Name; budget_s = $FleetBudget; elapsed_ms = $null
                             skipped = New-Object System.Collections.ArrayList }
$found = @{ homes = @(); part_of_domain = $null; domain = ''; workgroup = ''; entra = $null; entra_tenant = ''
            mdm = $null; mdm_upn = '' }

function Add-Row([string]$Table, $Row) { [void]$facts[$Table].Add($Row) }
function Add-Err([string]$Where, [string]$Message) { Add-Row 'errors' ([ordered]@{ where = $Where; error = $Message }) }

function Get-BudgetLeft { return [double]$FleetBudget - $clock.Elapsed.TotalSeconds }

# Run one probe: skipped once the budget is spent, its failure an error row, its output discarded.
function Invoke-Probe([string]$Name, [scriptblock]$Body) {
    if ((Get-BudgetLeft) -le 0) {
        [void]$facts.runtime.skipped.Add($Name)
        Add-Err $Name "skipped: the collector's time budget of $($FleetBudget)s was used up"
        return
    }
    try { $null = & $Body } catch { Add-Err $Name (Get-ErrorText $_) }
}

function Get-ErrorText($Record) {
    $e = $Record.Exception
    while ($e.InnerException -and $e -is [System.Management.Automation.MethodInvocationException]) { $e = $e.InnerException }
    $text = [string]$e.Message
    if ($e -is [System.UnauthorizedAccessException] -or $e -is [System.Security.SecurityException]) {
        $text = "access denied ($text)" + $(if ($facts.runtime.admin -eq $false) { '; not run as an administrator' } else { '' })
    }
    return $text
}

# Every CIM query goes through here: a hung WMI provider costs at most the timeout (or what is
# left of the budget), never the whole sweep.
function Get-Cim([string]$Class, [string]$Filter = '') {
    $limit = [int][math]::Max(1, [math]::Min($CimTimeoutSec, [math]::Floor((Get-BudgetLeft))))
    if ($Filter) {
        return Get-CimInstance -ClassName $Class -Filter $Filter -OperationTimeoutSec $limit -ErrorAction Stop
    }
    return Get-CimInstance -ClassName $Class -OperationTimeoutSec $limit -ErrorAction Stop
}

function Get-Sha16([string]$Text) {
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $h = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text)) } finally { $sha.Dispose() }
    -join ($h[0..7] | ForEach-Object { $_.ToString('x2') })
}

function Get-FirstLine([string]$Path) {
    try { return [string](Get-Content -LiteralPath $Path -TotalCount 1 -ErrorAction Stop) } catch { return '' }
}

function Get-EpochSeconds([datetime]$When) {
    return ($When.ToUniversalTime() - [datetime]::new(1970, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc)).TotalSeconds
}

# Everything outside printable ASCII as \uXXXX: the bytes are the same in any console code page.
function ConvertTo-AsciiJson([string]$Json) {
    if ($Json -notmatch '[^\x00-\x7e]') { return $Json }
    $sb = New-Object System.Text.StringBuilder ($Json.Length + 16)
    foreach ($c in $Json.ToCharArray()) {
        if ([int]$c -lt 127) { [void]$sb.Append($c) } else { [void]$sb.AppendFormat('\u{0:x4}', [int]$c) }
    }
    return $sb.ToString()
}

try { $x = $FleetExpect | ConvertFrom-Json }
catch {
    $x = New-Object PSObject -Property @{ browsers = @(); services = @(); endpoint = '' }
    Add-Err 'expectations' ('the controller''s expectations cannot be read: ' + (Get-ErrorText $_))
}
try {
    $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine,
                                                       [Microsoft.Win32.RegistryView]::Registry64)
} catch { $hklm = $null; Add-Err 'registry' (Get-ErrorText $_) }

# -- who runs this -------------------------------------------------------------------------------
Invoke-Probe 'admin' {
    $id = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $facts.runtime.admin = ([System.Security.Principal.WindowsPrincipal]$id).IsInRole(
        [System.Security.Principal.WindowsBuiltInRole]::Administrator)
    if (-not $facts.runtime.admin) {
        Add-Err 'admin' ("not run as an administrator ($($id.Name)): other users' browser profiles and the " +
                         'System event log may be unreadable; such facts are reported as errors, not as absent')
    }
}

# -- host ----------------------------------------------------------------------------------------
Invoke-Probe 'os' {
    $os = Get-Cim 'Win32_OperatingSystem'
    $facts.host.os_version = "$($os.Caption) $($os.Version)"
    $facts.host.boot_time = [math]::Floor((Get-EpochSeconds $os.LastBootUpTime))
}

# -- how the machine is managed: AD domain, Entra ID, MDM ----------------------------------------
Invoke-Probe 'domain' {
    $cs = Get-Cim 'Win32_ComputerSystem'
    $found.part_of_domain = [bool]$cs.PartOfDomain
    $found.domain = [string]$cs.Domain
    $found.workgroup = [string]$cs.Workgroup
}
Invoke-Probe 'entra' {
    # Entra ID join (also hybrid join) leaves one subkey per join under JoinInfo; dsregcmd not needed.
    $found.entra = $false
    $ji = $hklm.OpenSubKey('SYSTEM\CurrentControlSet\Control\CloudDomainJoin\JoinInfo')
    if ($ji) {
        foreach ($name in $ji.GetSubKeyNames()) {
            $j = $ji.OpenSubKey($name)
            if ($j) {
                $found.entra = $true
                $found.entra_tenant = [string]$j.GetValue('TenantId')
            }
        }
    }
}
Invoke-Probe 'mdm' {
    $found.mdm = $false
    $enrollments = $hklm.OpenSubKey('SOFTWARE\Microsoft\Enrollments')
    if ($enrollments) {
        foreach ($name in $enrollments.GetSubKeyNames()) {
            $e = $enrollments.OpenSubKey($name)
            if ($e -and [string]$e.GetValue('ProviderID') -eq 'MS DM Server') {
                $found.mdm = $true
                $found.mdm_upn = [string]$e.GetValue('UPN')
            }
        }
    }
}
Invoke-Probe 'managed' {
    if ($found.part_of_domain) {
        $facts.managed.join = 'domain'
        $hybrid = $(if ($found.entra) { ', hybrid Entra ID join' } else { '' })
        $facts.managed.kind = 'domain'; $facts.managed.detail = "joined to $($found.domain)$hybrid"
    } elseif ($found.entra) {
        $facts.managed.join = 'entra'
        $facts.managed.kind = 'entra'; $facts.managed.detail = "Entra ID joined (tenant $($found.entra_tenant))"
    } elseif ($found.mdm) {
        $facts.managed.join = $(if ($found.part_of_domain -eq $false) { 'workgroup' } else { '' })
        $facts.managed.kind = 'mdm'; $facts.managed.detail = "MDM enrolled ($($found.mdm_upn))"
    } elseif ($found.part_of_domain -eq $false -and $found.entra -eq $false) {
        $facts.managed.join = 'workgroup'
        $facts.managed.kind = $(if ($found.mdm -eq $false) { 'workgroup' } else { 'unknown' })
        $facts.managed.detail = "workgroup $($found.workgroup)"
    }
}

# -- disks ---------------------------------------------------------------------------------------
Invoke-Probe 'disks' {
    foreach ($d in @(Get-Cim 'Win32_LogicalDisk' 'DriveType=3')) {
        if ($d.Size) {
            Add-Row 'disks' ([ordered]@{ mount = [string]$d.DeviceID; total_mb = [int64]($d.Size / 1048576)
                                         free_mb = [int64]($d.FreeSpace / 1048576) })
        }
    }
}

# -- user profiles: local and domain accounts (S-1-5-21-*) and Entra ID accounts (S-1-12-1-*) -----
Invoke-Probe 'ProfileList' {
    $plist = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList')
    $homes = @()
    foreach ($sid in $plist.GetSubKeyNames()) {
        if ($sid -notlike 'S-1-5-21-*' -and $sid -notlike 'S-1-12-1-*') { continue }  # people, not services
        $p = [Environment]::ExpandEnvironmentVariables([string]$plist.OpenSubKey($sid).GetValue('ProfileImagePath'))
        if ($p) { $homes += $p }
    }
    $found.homes = $homes
}

# -- browsers, profiles, extensions --------------------------------------------------------------
foreach ($b in @($x.browsers)) {
    Invoke-Probe "browser $($b.name)" {
        $bin = ''
        foreach ($c in @($b.bins)) { if (Test-Path -LiteralPath $c) { $bin = $c; break } }
        $ver = ''
        if ($bin) { $ver = [string](Get-Item -LiteralPath $bin).VersionInfo.ProductVersion }
        Add-Row 'browsers' ([ordered]@{ browser = $b.name; binary = $bin; version = $ver })
    }
    foreach ($h in $found.homes) {
        Invoke-Probe "profiles $($b.name) $h" {
            $ud = Join-Path $h ('AppData\Local\' + $b.data)
            # Get-Item throws on "access denied" where Test-Path would just say "no"
            try { $null = Get-Item -LiteralPath $ud -Force -ErrorAction Stop }
            catch [System.Management.Automation.ItemNotFoundException] { return }
            $user = Split-Path $h -Leaf
            Add-Row 'userdata' ([ordered]@{ browser = $b.name; user = $user
                                            version = (Get-FirstLine (Join-Path $ud 'Last Version')) })
            $profs = @(Get-ChildItem -LiteralPath $ud -Directory -ErrorAction Stop |
                       Where-Object { $_.Name -eq 'Default' -or $_.Name -like 'Profile *' })
            foreach ($p in $profs) {
                Add-Row 'profiles' ([ordered]@{ browser = $b.name; user = $user; profile = $p.Name })
                foreach ($id in @($b.ext)) {
                    $ed = Join-Path $p.FullName "Extensions\$id"
                    if (-not (Test-Path -LiteralPath $ed)) { continue }
                    foreach ($v in @(Get-ChildItem -LiteralPath $ed -Directory -ErrorAction Stop)) {
                        Add-Row 'extensions' ([ordered]@{ browser = $b.name; user = $user; profile = $p.Name
                                                          extension_id = $id; version = $v.Name })
                    }
                }
            }
        }
    }
}

# -- browser policy (HKLM, 64-bit view) ----------------------------------------------------------
foreach ($b in @($x.browsers)) {
    $exts = @($b.ext)
    if ($exts.Count -eq 0) { continue }
    $source = "HKLM\$($b.policy)"
    Invoke-Probe "$source\ExtensionInstallForcelist" {
        $fl = $hklm.OpenSubKey("$($b.policy)\ExtensionInstallForcelist")
        Add-Row 'policy_sources' ([ordered]@{ browser = $b.name; source = $source; ok = $true; error = ''
                                              has_forcelist = [bool]$fl })
        if ($fl) {
            foreach ($n in $fl.GetValueNames()) {
                Add-Row 'forcelist' ([ordered]@{ browser = $b.name; source = $source; entry = [string]$fl.GetValue($n)
                                                 name = [string]$n })
            }
        }
    }
    foreach ($id in $exts) {
        $key = "$($b.policy)\3rdparty\extensions\$id\policy"
        foreach ($field in @($b.fields)) {
            Invoke-Probe "HKLM\$key\$field" {
                $k = $hklm.OpenSubKey($key)
                if (-not $k -or $k.GetValueNames() -notcontains $field) { return }
                $kind = $k.GetValueKind($field)
                $value = $k.GetValue($field, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
                $type = 'unreadable'; $sha = ''
                switch ($kind) {
                    'String' { $type = 'string'; $sha = Get-Sha16 ([string]$value) }
                    'ExpandString' { $type = 'string'; $sha = Get-Sha16 ([string]$value) }
                    # .NET returns a REG_DWORD as Int32: 0x80000000 and above come back negative,
                    # and a cast of a negative number to UInt32 throws. Chrome reads the unsigned value.
                    'DWord' { $type = 'number'; $sha = Get-Sha16 ([string]([int64]$value -band 4294967295)) }
                    'MultiString' { $type = 'array' }
                    default { $type = 'unreadable' }
                }
                $value = $null
                Add-Row 'managed_values' ([ordered]@{ browser = $b.name; source = "HKLM\$key"; extension_id = $id
                                                      field = $field; type = $type; sha16 = $sha })
            }
        }
    }
}

# -- services ------------------------------------------------------------------------------------
foreach ($s in @($x.services)) {
    $row = [ordered]@{ name = $s.name; kind = $s.kind; present = $null; running = $null; start = 'unknown'
                       version = ''; crashes_24h = $null; probe = 'scm'; key_fingerprint = ''
                       pending_version = ''; pending_key_fingerprint = ''; pending_boot = ''; pending_removal_boot = '' }
    Add-Row 'services' $row
    Invoke-Probe "service $($s.name)" {
        $svc = Get-Cim 'Win32_Service' ("Name='{0}'" -f ($s.name -replace "'", "''"))
        $row.present = [bool]$svc
        $row.running = [bool]($svc -and $svc.State -eq 'Running')
        if (-not $svc) { return }
        $row.start = switch ($svc.StartMode) { 'Auto' { 'auto' } 'Manual' { 'manual' } 'Disabled' { 'disabled' }
                                               default { 'unknown' } }
        # Win32_Service says 'Auto' for a delayed automatic start too: the SCM keeps that apart in the
        # service's DelayedAutostart value (what win_service_info reports as 'delayed').
        $reg = $hklm.OpenSubKey("SYSTEM\CurrentControlSet\Services\$($s.name)")
        if ($row.start -eq 'auto' -and $reg -and [int64]$reg.GetValue('DelayedAutostart', 0) -eq 1) { $row.start = 'delayed' }
        # What runs: the service binary's file version, read as the Synchronizer role reads it
        # (read_installed.ps1), so health and deploy judge the same version.
        $exe = [Environment]::ExpandEnvironmentVariables([string]$svc.PathName)
        if ($exe -match '^"([^"]+)"') { $exe = $Matches[1] } elseif ($exe -match '^(\S+)') { $exe = $Matches[1] }
        if ($exe -and (Test-Path -LiteralPath $exe -PathType Leaf)) {
            $v = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($exe)
            $row.version = '{0}.{1}.{2}.{3}' -f $v.FileMajorPart, $v.FileMinorPart, $v.FileBuildPart, $v.FilePrivatePart
            if ($row.version -eq '0.0.0.0') { $row.version = [string]$v.ProductVersion }
        }
        $found["svc $($s.name)"] = $svc
    }
    if ($s.kind -eq 'synchronizer') {
        Invoke-Probe "marker $($s.name)" {
            # fleet's record of what it installed: the version and the product key's fingerprint (never the key)
            # (64-bit view, where the role's win_regedit writes it). Its version only stands in for a
            # binary whose version cannot be read: what runs is what counts, as for deploy. An install
            # or removal whose msiexec asked for a restart (3010) is recorded there too, with the boot
            # it happened in, also before its service exists: the deploy waits for that restart.
            $marker = $hklm.OpenSubKey('SOFTWARE\fleet\Synchronizer')
            if (-not $marker) { return }
            foreach ($p in @(@('pending_version', 'PendingVersion'), @('pending_key_fingerprint', 'PendingKeyFingerprint'),
                             @('pending_boot', 'PendingBoot'), @('pending_removal_boot', 'PendingRemovalBoot'))) {
                $row[$p[0]] = [string]$marker.GetValue($p[1], '')
            }
            if (-not $found["svc $($s.name)"]) { return }
            $row.key_fingerprint = [string]$marker.GetValue('KeyFingerprint', '')
            if (-not $row.version) { $row.version = [string]$marker.GetValue('Version', '') }
        }
        Invoke-Probe "crashes $($s.name)" {
            $svc = $found["svc $($s.name)"]
            if (-not $svc) { return }
            # 7031: terminated unexpectedly (will restart), 7034: terminated unexpectedly; param1 = display name.
            # "No events" is an error record of its own; anything else (access denied) leaves the count unknown.
            $events = @()
            try {
                $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = 7031, 7034
                                                             StartTime = (Get-Date).AddHours(-24) } -MaxEvents 500 -ErrorAction Stop)
            } catch {
                if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
            }
            $row.crashes_24h = @($events | Where-Object { $_.Properties[0].Value -eq $svc.DisplayName -or
                                                         $_.Properties[0].Value -eq $svc.Name }).Count
        }
    }
}

# -- the sync endpoint: through the system (WinHTTP) proxy, as a service would reach it -----------
function Get-WinHttpProxy {
    # HKLM\...\Internet Settings\Connections\WinHttpSettings (what `netsh winhttp set proxy` writes):
    # DWORD size, DWORD counter, DWORD flags (2 = proxy), DWORD n, n bytes proxy, DWORD m, m bytes bypass.
    $k = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections')
    if (-not $k) { return $null }
    $b = [byte[]]$k.GetValue('WinHttpSettings')
    if (-not $b -or $b.Length -lt 16) { return $null }
    if (([BitConverter]::ToInt32($b, 8) -band 2) -eq 0) { return $null }
    $n = [BitConverter]::ToInt32($b, 12)
    if ($n -le 0 -or 16 + $n -gt $b.Length) { return $null }
    $server = [System.Text.Encoding]::ASCII.GetString($b, 16, $n)
    $bypass = ''
    if ($b.Length -ge 20 + $n) {
        $m = [BitConverter]::ToInt32($b, 16 + $n)
        if ($m -gt 0 -and 20 + $n + $m -le $b.Length) { $bypass = [System.Text.Encoding]::ASCII.GetString($b, 20 + $n, $m) }
    }
    return @{ server = $server; bypass = $bypass }
}

function Select-ProxyServer([string]$Server, [string]$Scheme) {
    # "host:port", or per scheme: "http=host:port;https=host:port"
    $entries = @($Server -split '[; ]' | Where-Object { $_ })
    foreach ($e in $entries) { if ($e -like "$Scheme=*") { return $e.Substring($Scheme.Length + 1) } }
    foreach ($e in $entries) { if ($e -notlike '*=*') { return $e } }
    return ''
}

if ($x.endpoint) {
    $ep = [ordered]@{ url = [string]$x.endpoint; ok = $false; http_status = $null; error = ''; elapsed_ms = $null
                      proxy = ''; tls = $null }
    $facts.endpoint = $ep
    Invoke-Probe 'endpoint' {
        $timeoutMs = 10000
        if ($x.endpoint_timeout) { $timeoutMs = [int](1000 * [double]$x.endpoint_timeout) }
        $timeoutMs = [int][math]::Max(1000, [math]::Min($timeoutMs, 1000 * (Get-BudgetLeft)))
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        try {
            $uri = [uri]$ep.url
            [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor
                [Net.SecurityProtocolType]::Tls12
            $req = [System.Net.HttpWebRequest]::Create($uri)
            $req.Method = 'HEAD'; $req.AllowAutoRedirect = $false; $req.KeepAlive = $false
            $wp = Get-WinHttpProxy
            $proxyAddress = $(if ($wp) { Select-ProxyServer $wp.server $uri.Scheme } else { '' })
            $lookup = $uri.DnsSafeHost
            if ($proxyAddress) {
                if ($proxyAddress -notmatch '^[a-z]+://') { $proxyAddress = "http://$proxyAddress" }
                $bypass = @(($wp.bypass -split '[; ]') | Where-Object { $_ -and $_ -ne '<local>' } |
                            ForEach-Object { '^' + [regex]::Escape($_).Replace('\*', '.*') + '$' })
                $proxy = New-Object System.Net.WebProxy ($proxyAddress, ($wp.bypass -match '<local>'), [string[]]$bypass)
                $req.Proxy = $proxy
                if (-not $proxy.IsBypassed($uri)) { $ep.proxy = $proxyAddress; $lookup = ([uri]$proxyAddress).DnsSafeHost }
            } else {
                $req.Proxy = $null  # direct, as WinHTTP without a proxy; never the logged-on user's IE proxy
            }
            # The name lookup is inside the timeout (HttpWebRequest's own Timeout leaves DNS out).
            $dns = [System.Net.Dns]::GetHostAddressesAsync($lookup)
            $inTime = $true
            try { $inTime = $dns.Wait($timeoutMs) } catch { $inTime = $true }  # a failed lookup throws here
            if (-not $inTime) {
                $ep.error = "cannot resolve $lookup within $($timeoutMs / 1000)s"
            } elseif ($dns.IsFaulted) {
                $ep.error = "cannot resolve $lookup ($($dns.Exception.GetBaseException().Message))"
            } else {
                $left = [int][math]::Max(500, $timeoutMs - $sw.ElapsedMilliseconds)
                $req.Timeout = $left; $req.ReadWriteTimeout = $left
                $async = $req.BeginGetResponse($null, $null)
                if (-not $async.AsyncWaitHandle.WaitOne($left)) {
                    $req.Abort()
                    $ep.error = "no answer within $($timeoutMs / 1000)s"
                } else {
                    $resp = $null
                    try {
                        $resp = $req.EndGetResponse($async)
                    } catch {
                        # a .NET method's exception comes wrapped (MethodInvocationException): find the WebException
                        $web = $_.Exception
                        while ($web -and -not ($web -is [System.Net.WebException])) { $web = $web.InnerException }
                        if (-not $web) { throw }
                        $resp = $web.Response
                        if (-not $resp) {
                            $status = [string]$web.Status
                            $ep.error = $status + ': ' + $web.Message
                            if ($status -in 'TrustFailure', 'SecureChannelFailure') { $ep.tls = $false }
                        }
                    }
                    if ($resp) {
                        $code = [int]$resp.StatusCode
                        $ep.http_status = $code
                        if ($uri.Scheme -eq 'https') { $ep.tls = $true }  # the certificate matched the host name
                        $proxyAnswer = ($code -eq 407) -or [bool]$resp.Headers['Proxy-Authenticate'] -or
                                       [bool]$resp.Headers['X-Squid-Error'] -or
                                       ($ep.proxy -and $uri.Scheme -eq 'http' -and $code -in 502, 503, 504)
                        if ($proxyAnswer) {
                            $ep.error = "the proxy answered HTTP $code, not the endpoint"
                        } elseif ($code -in 502, 504) {
                            $ep.error = "a gateway answered HTTP $code, not the endpoint"
                        } else {
                            $ep.ok = $true
                        }
                        $resp.Close()
                    }
                }
            }
        } catch {
            $ep.error = Get-ErrorText $_
        } finally {
            $ep.elapsed_ms = [int]$sw.ElapsedMilliseconds
        }
    }
}

# -- the answer ----------------------------------------------------------------------------------
try {
    # The clock is read as late as possible before the answer leaves (skew is judged on the controller).
    $facts.host.time = Get-EpochSeconds ([datetime]::UtcNow)
    $facts.runtime.elapsed_ms = [int]$clock.ElapsedMilliseconds
    $json = ConvertTo-AsciiJson ($facts | ConvertTo-Json -Depth 6 -Compress)
} catch {
    $json = ConvertTo-AsciiJson (([ordered]@{ fleet_health = 1; collector = 'windows'
        host = [ordered]@{ hostname = [string]$env:COMPUTERNAME; os = 'Windows' }
        errors = @([ordered]@{ where = 'output'; error = [string]$_.Exception.Message }) }) | ConvertTo-Json -Depth 4 -Compress)
}
$json
