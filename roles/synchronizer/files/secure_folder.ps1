# The installer's download folder, and the folder above it, readable and writable only by SYSTEM and
# Administrators, owned by Administrators, inheriting nothing. msiexec runs the file as SYSTEM after
# its checksum is verified: under C:\ProgramData a standard user may create a folder first (and own
# it), keep rights in it, or rename it away, and swap the file between the check and the install.
# A folder fleet did not make safe (another owner, other rights, a junction or link) is removed and made again.
# Supports check mode (win_powershell runs it with -WhatIf semantics: nothing is changed).
[CmdletBinding(SupportsShouldProcess = $true)]
param (
    [Parameter(Mandatory = $true)]
    [string]$Path
)
$ErrorActionPreference = 'Stop'
# O:BA owner Administrators; D:PAI protected (no inheritance); full control for SYSTEM and
# Administrators, on the folder, its subfolders and files.
$wanted = 'O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'
$Ansible.Changed = $false

function New-SafeFolder([string]$Folder) {
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($wanted)
    $null = [System.IO.Directory]::CreateDirectory($Folder, $security)
}

# Safe: owned by Administrators (or SYSTEM), no inherited rights, exactly the two rules above.
function Test-SafeFolder([string]$Folder) {
    $acl = Get-Acl -LiteralPath $Folder
    $sid = [System.Security.Principal.SecurityIdentifier]
    $owner = $acl.GetOwner($sid).Value
    $rules = @($acl.GetAccessRules($true, $true, $sid))
    $ours = @($rules | Where-Object { $_.AccessControlType -eq 'Allow' -and -not $_.IsInherited -and
                                     $_.FileSystemRights -eq [System.Security.AccessControl.FileSystemRights]::FullControl -and
                                     $_.IdentityReference.Value -in 'S-1-5-18', 'S-1-5-32-544' })
    return ($owner -in 'S-1-5-32-544', 'S-1-5-18') -and $acl.AreAccessRulesProtected -and $rules.Count -eq 2 -and
           $ours.Count -eq 2
}

# A junction or symbolic link is never safe, whatever its ACL says (Get-Acl reads its target's): a
# standard user may create one in C:\ProgramData and point it elsewhere after the check. It is
# removed as a link, never followed. An unsafe real folder is deleted with .NET's recursive delete,
# which does not recurse through reparse points; Windows PowerShell 5.1's Remove-Item -Recurse does,
# and would empty whatever folder a planted junction points to, as SYSTEM.
function Remove-UnsafeFolder([string]$Folder, $Item) {
    if (-not $Item.PSIsContainer) {
        [System.IO.File]::Delete($Folder)  # a file (or a link to one) where the folder must be: never its target
    } elseif ($Item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        [System.IO.Directory]::Delete($Folder, $false)  # the link only (RemoveDirectory)
    } else {
        [System.IO.Directory]::Delete($Folder, $true)
    }
}

# The parent first (C:\ProgramData\fleet): whoever controls it can rename the download folder away.
foreach ($folder in (Split-Path -Path $Path -Parent), $Path) {
    # Get-Item -Force also returns a dangling link (Test-Path says "not there" for one)
    $item = Get-Item -LiteralPath $folder -Force -ErrorAction SilentlyContinue
    if (-not $item) {
        if ($PSCmdlet.ShouldProcess($folder, 'create with an Administrators-only ACL')) { New-SafeFolder $folder }
        $Ansible.Changed = $true
    } elseif (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -or -not $item.PSIsContainer -or
              -not (Test-SafeFolder $folder)) {
        if ($PSCmdlet.ShouldProcess($folder, 'remove (a link: the link only) and make again with an Administrators-only ACL')) {
            Remove-UnsafeFolder $folder $item
            New-SafeFolder $folder
        }
        $Ansible.Changed = $true
    }
}
