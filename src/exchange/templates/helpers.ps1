# ---- Helpers (the same in every script smimetrust writes; no generated values inside) ----
function Get-SmimeValue($Config, [string] $Name) {
    $property = $Config.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function ConvertTo-SmimeBytes($Value) {
    # Get-SmimeConfig returns the trust list as byte[]; some remoting paths give base64 text instead.
    if ($null -eq $Value) { return ,([byte[]]@()) }
    if ($Value -is [string]) { return ,([System.Convert]::FromBase64String($Value)) }
    return ,([byte[]]$Value)
}

function Get-Sha256Hex([byte[]] $Bytes) {
    if ($null -eq $Bytes -or $Bytes.Length -eq 0) { return '' }
    $sha256 = [System.Security.Cryptography.SHA256]::Create()
    try { return [System.BitConverter]::ToString($sha256.ComputeHash($Bytes)).Replace('-', '') }
    finally { $sha256.Dispose() }
}

function Format-SmimeValue($Value) {
    if ($null -eq $Value) { return '(not set)' }
    if ($Value -is [datetime]) {
        if ($Value.Kind -eq [System.DateTimeKind]::Unspecified) { $Value = [datetime]::SpecifyKind($Value, [System.DateTimeKind]::Utc) }
        return $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
    }
    if ($Value -is [string]) { return "'" + $Value + "'" }
    return [string]$Value
}

function Format-Sha256([string] $Hex) {
    if ($Hex) { return $Hex }
    return '(no trust list)'
}

function Test-SmimeValueEqual($Current, $Desired) {
    # Empty and $null are the same to Exchange; values compare as text (True, 60000, 800C), ignoring case.
    $currentEmpty = ($null -eq $Current) -or ([string]$Current -eq '')
    $desiredEmpty = ($null -eq $Desired) -or ([string]$Desired -eq '')
    if ($currentEmpty -or $desiredEmpty) { return ($currentEmpty -and $desiredEmpty) }
    return ([string]$Current -eq [string]$Desired)
}

function ConvertTo-SmimeExport($Config) {
    # Every property by its own name; the trust list as base64 of its bytes ($null when empty).
    $export = [ordered]@{}
    foreach ($property in $Config.PSObject.Properties) {
        $name = $property.Name
        $value = $property.Value
        if ($name -eq 'SMIMECertificateIssuingCA') {
            $bytes = ConvertTo-SmimeBytes $value
            if ($bytes.Length -eq 0) { $export[$name] = $null } else { $export[$name] = [System.Convert]::ToBase64String($bytes) }
        }
        elseif ($null -eq $value) { $export[$name] = $null }
        elseif ($value -is [string] -or $value -is [bool]) { $export[$name] = $value }
        elseif ($value -is [datetime]) { $export[$name] = Format-SmimeValue $value }
        elseif ($value.GetType().IsPrimitive) { $export[$name] = $value }
        else { $export[$name] = [string]$value }
    }
    return $export
}

function Save-SmimeJson($Object, [string] $Path) {
    $json = ConvertTo-Json -InputObject $Object -Depth 4
    [System.IO.File]::WriteAllText($Path, $json, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
}

function Import-ExchangeOnlineModule {
    $installed = Get-Module -ListAvailable -Name ExchangeOnlineManagement | Where-Object { $_.Version -ge [version]'3.0.0' }
    if (-not $installed) {
        Write-Host 'Installing the ExchangeOnlineManagement module (3.0.0 or later) for the current user ...'
        # Windows PowerShell 5.1 may still default to TLS 1.0, which the PowerShell Gallery refuses.
        [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
        Install-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0 -Scope CurrentUser -Force -AllowClobber -WhatIf:$false -Confirm:$false -ErrorAction Stop
    }
    Import-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0 -ErrorAction Stop
}

function Use-SmimeSignInDefaults {
    # The sign-in written in the generated block is used only when none is given on the command line.
    $given = @('UserPrincipalName', 'AppId', 'CertificateThumbprint', 'Organization') | Where-Object { $PSBoundParametersForConnect.ContainsKey($_) }
    if (@($given).Count -gt 0) { return }
    $script:UserPrincipalName = $DefaultUserPrincipalName
    $script:AppId = $DefaultAppId
    $script:CertificateThumbprint = $DefaultCertificateThumbprint
    $script:Organization = $DefaultOrganization
}

function Connect-SmimeTenant {
    # Interactive with -UserPrincipalName; app-only with -AppId, -CertificateThumbprint and -Organization.
    $appOnly = [bool]($AppId -or $CertificateThumbprint -or $Organization)
    if ($appOnly -and $UserPrincipalName) {
        throw 'Give either -UserPrincipalName (interactive sign-in) or -AppId, -CertificateThumbprint and -Organization (app-only sign-in), not both.'
    }
    if ($appOnly) {
        if (-not ($AppId -and $CertificateThumbprint -and $Organization)) {
            throw 'App-only sign-in needs all three of -AppId, -CertificateThumbprint and -Organization.'
        }
        Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $CertificateThumbprint -Organization $Organization -ShowBanner:$false -ErrorAction Stop
    }
    elseif ($UserPrincipalName) {
        Connect-ExchangeOnline -UserPrincipalName $UserPrincipalName -ShowBanner:$false -ErrorAction Stop
    }
    else {
        throw 'Give -UserPrincipalName (interactive sign-in), or -AppId, -CertificateThumbprint and -Organization (app-only sign-in).'
    }
}
